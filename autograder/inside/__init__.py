"""Stage 3, inside: what runs in the confined student process, and nothing of the judge.

`responder` runs the notebook's steps as a kernel would and answers the judge's requests;
`reporter` calls the student's functions and says what they did, as the plain observations of
`observations`, the messages both sides share. Importing this stage loads no expected value,
no check and no maths of the judge's (a test holds that).
"""
