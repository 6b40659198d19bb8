"""`true` on many hosts at once with ThreadingGroup, REPEAT times: python3 group.py SSH_CONFIG REPEAT HOST..."""
import sys

from fabric import ThreadingGroup

from common import config

group = ThreadingGroup(*sys.argv[3:], config=config(sys.argv[1]))
for _ in range(int(sys.argv[2])):
    group.run("true", hide=True)
group.close()
