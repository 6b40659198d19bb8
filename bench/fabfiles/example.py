# The Python Fabric 2 twin of the repository's fabfile.example.ts, for the start-up figure (`fab --list`):
# the same four tasks, doing the same things with Fabric's API.
import os
import tempfile

from fabric import task

ROLES = {"web": ["web1", "web2"]}


def root(c):
    return "%s/%s" % (c.config.get("demo_root", "/tmp/fabts-demo"), c.host)


@task
def info(c):
    """Show local and remote host information"""
    c.local('echo "local: $(uname -srm), $(whoami)@$(hostname)"')
    result = c.run('echo "$(uname -srm), $(whoami) since $(uptime -s 2>/dev/null || uptime)"; df -h / | tail -1')
    return result.stdout.split("\n")[0]


@task
def upload(c):
    """Upload files through the gateway (bastion)"""
    folder = tempfile.mkdtemp(prefix="fabts-upload-")
    for name, text in (("access.log", "GET / 200\nGET /health 200\n"), ("error.log", "worker 3 restarted\n"), ("notes.txt", "not a log\n")):
        with open(os.path.join(folder, name), "w") as f:
            f.write(text)
    c.run("mkdir -p %s/logs" % root(c))
    return [c.put(os.path.join(folder, name), "%s/logs/" % root(c)).remote for name in sorted(os.listdir(folder))]


@task
def logs(c, dir=None):
    """List a remote directory and act on each entry: count lines, download the logs"""
    folder = dir or "%s/logs" % root(c)
    fetched = []
    for name in c.sftp().listdir(folder):
        if not name.endswith(".log"):
            continue
        c.run("wc -l %s/%s" % (folder, name))
        local = os.path.join(tempfile.gettempdir(), "fabts-downloads", c.host, name)
        os.makedirs(os.path.dirname(local), exist_ok=True)
        fetched.append(c.get("%s/%s" % (folder, name), local).local)
    return fetched


@task
def deploy(c, release="v1"):
    """Ship a release to the web role, in parallel, through the bastion"""
    build = tempfile.mkdtemp(prefix="fabts-build-")
    with c.cd(build):
        c.local("cd %s && mkdir -p app && echo %s > app/VERSION && tar czf app.tgz -C app ." % (build, release))
    release_dir = "%s/app/releases/%s" % (root(c), release)
    c.run("mkdir -p %s" % release_dir)
    c.put(os.path.join(build, "app.tgz"), "%s/app.tgz" % release_dir)
    with c.cd(release_dir):
        c.run("tar xzf app.tgz && rm app.tgz")
    c.run("ln -sfn %s %s/app/current" % (release_dir, root(c)))
    c.sudo("test -r %s/app/current/VERSION" % root(c))
    return c.run("cat %s/app/current/VERSION" % root(c)).stdout.strip()
