"""Cell texts and code objects, as the tests of the fork server's learned work compare them."""

from __future__ import annotations

from types import CodeType

# Lines from the forms IPython treats specially, Python that compiles to nested code, and broken
# code: what a notebook's cell may hold.
LINES = (
    "x = 1",
    "pattern = '\\d+'",
    "assert (x, 'never empty')",
    "line\x0cfeed = 1",
    "y = x + 1",
    "print(x)",
    "    z = 3",
    "for i in range(2):",
    "    x += i",
    "%time y = 2",
    "%%capture out",
    "%matplotlib inline",
    "!echo hi",
    "files = !ls",
    "x?",
    "%pwd",
    ">>> a = 4",
    "In [1]: b = 5",
    "await asyncio.sleep(0)",
    "import asyncio",
    "def f(:",
    "return 1",
    "'''unclosed",
    "",
    "# a comment with é and ∑",
    "value = x if x else None",
    "from __future__ import annotations",
    "def g(v: not_defined_anywhere) -> None: return v",
    "class C:\n    size: int = 3\n    def grow(self):\n        return [self.size * n for n in [2]]",
    "total = sum(n * 2 for n in range(5))",
    "x",
    "(x, y) = (3, 4)",
    "x == 1",
)


def code_fields(code: CodeType) -> tuple:
    """Everything a code object holds, the code objects inside it included, names too."""
    return (
        code.co_filename,
        code.co_name,
        code.co_qualname,
        code.co_firstlineno,
        code.co_flags,
        code.co_argcount,
        code.co_posonlyargcount,
        code.co_kwonlyargcount,
        code.co_stacksize,
        code.co_code,
        code.co_linetable,
        code.co_exceptiontable,
        code.co_names,
        code.co_varnames,
        code.co_freevars,
        code.co_cellvars,
        tuple(
            code_fields(const) if isinstance(const, CodeType) else (type(const), repr(const))
            for const in code.co_consts
        ),
    )
