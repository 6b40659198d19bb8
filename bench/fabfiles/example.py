# The Python Fabric 2 equivalent of example.ts, for the start-up figure (`fab --list`).
from fabric import task
from invoke import Collection

ROLES = {"web": ["web1", "web2"]}


@task
def info(c):
    """Show local and remote host info"""
    c.local("uname -a")
    c.run("uname -a && df -h /")


@task
def deploy(c, branch="main"):
    """Ship a build"""
    with c.cd("/srv/app"):
        c.run("git fetch && git checkout " + branch)
        c.sudo("systemctl restart app")


@task
def logs(c):
    """Tail the application log"""
    c.run("tail -n 50 /var/log/app.log")


@task
def migrate(c):
    """Run the database migrations"""
    c.run("./migrate")


ns = Collection(info, deploy, logs, Collection("db", migrate))
