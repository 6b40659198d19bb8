"""SFTP with Fabric 2's Connection.put/get: python3 transfer.py SSH_CONFIG HOST put|get|putdir SRC DST

put/get move one file (Fabric's Transfer, over paramiko's SFTPClient). Fabric 2 has no recursive put, so putdir
does what a Fabric 2 user writes instead: mkdir each directory over the connection's SFTP session and put each file.
Reports the algorithms paramiko negotiated (from its own log) on a BENCH line.
"""
import io
import logging
import os
import posixpath
import re
import sys

from fabric import Connection

from common import config, report

log = io.StringIO()
handler = logging.StreamHandler(log)
logging.getLogger("paramiko.transport").addHandler(handler)
logging.getLogger("paramiko.transport").setLevel(logging.DEBUG)

ssh_config, host, mode, src, dst = sys.argv[1:6]
connection = Connection(host, config=config(ssh_config))
if mode == "put":
    connection.put(src, dst)
elif mode == "get":
    connection.get(src, dst)
elif mode == "putdir":
    sftp = connection.sftp()
    for root, dirs, files in os.walk(src):
        dirs.sort()
        remote_root = posixpath.join(dst, os.path.relpath(root, src)) if root != src else dst
        sftp.mkdir(remote_root)
        for name in sorted(files):
            connection.put(os.path.join(root, name), posixpath.join(remote_root, name))
else:
    sys.exit("mode must be put, get or putdir")
connection.close()

# paramiko logs its agreement at DEBUG: "Kex: ...", "Cipher: local=..., remote=...", "MAC: local=..., remote=...".
text = log.getvalue()
found = {key: (re.search(r"^%s: (.*)$" % key, text, re.M) or [None, "?"])[1] for key in ("Kex", "Cipher", "MAC")}
report(kex=found["Kex"], cipher=found["Cipher"], mac=found["MAC"])
