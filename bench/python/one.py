"""One command on one host over a new connection: python3 one.py SSH_CONFIG HOST"""
import sys

from fabric import Connection

from common import config

Connection(sys.argv[2], config=config(sys.argv[1])).run("true", hide=True)
