"""Print the README's set-up commands, one per line: the first bash block after the heading
"Set up on a fresh machine", without its comments. CI runs exactly these."""

import sys
from pathlib import Path

text = Path(sys.argv[1]).read_text(encoding="utf-8")
section = text.split("## Set up on a fresh machine", 1)[1]
block = section.split("```bash\n", 1)[1].split("```", 1)[0]
for line in block.splitlines():
    if line.strip() and not line.lstrip().startswith("#"):
        print(line)
