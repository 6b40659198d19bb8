"""Shared by the Python Fabric side of the benchmark: a Fabric Config reading the bench's ssh_config."""
import json
import sys

from fabric import Config


def config(ssh_config_path):
    # Keys come from the ssh_config's IdentityFile, host keys are auto-added (Fabric's default policy):
    # no agent and no ~/.ssh keys, so each side authenticates exactly once, with the same key.
    return Config(
        runtime_ssh_path=ssh_config_path,
        overrides={"connect_kwargs": {"allow_agent": False, "look_for_keys": False}},
    )


def report(**values):
    print("BENCH " + json.dumps(values))
    sys.stdout.flush()
