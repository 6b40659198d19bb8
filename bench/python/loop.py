"""N sequential commands on one open connection: python3 loop.py SSH_CONFIG HOST N; reports the loop's time."""
import sys
import time

from fabric import Connection

from common import config, report

connection = Connection(sys.argv[2], config=config(sys.argv[1]))
connection.run("true", hide=True)  # connects; not timed
count = int(sys.argv[3])
started = time.perf_counter()
for _ in range(count):
    connection.run("true", hide=True)
report(loopMs=(time.perf_counter() - started) * 1000, count=count)
connection.close()
