# acrhealth (MIT licence). Finding the clients a check runs: Docker (or Podman), Helm.
"""Where the Azure CLI looks for its clients, in its order, and the one refusal it makes: an
executable that PATH finds in the current directory (Windows searches it first, so a cloned
repository could plant ``docker.exe``)."""

import os


def _same_dir(one, other):
    try:
        return os.path.samefile(one, other)
    except (OSError, ValueError):
        return os.path.normcase(os.path.normpath(one)) == os.path.normcase(os.path.normpath(other))


def in_current_directory(path, cwd):
    """Whether ``path`` (or what its symbolic link points at) lies in ``cwd``: on Windows the
    current directory is searched first, so a cloned repository could plant ``docker.exe``."""
    if not cwd:
        return False
    return any(_same_dir(os.path.dirname(os.path.abspath(candidate)), cwd)
               for candidate in (path, os.path.realpath(path)))


def find_client(ctx, names):
    """``(name, path, refused)`` for the first of ``names`` on PATH: ``refused`` when PATH found
    it in the current directory (an absolute path, as DOCKER_COMMAND may give, is trusted, as
    the Azure CLI trusts it); ``(None, None, False)`` when none is there."""
    for name in names:
        path = ctx.which(name)
        if path:
            return name, path, not os.path.isabs(name) and in_current_directory(path, ctx.cwd)
    return None, None, False


def docker_candidates(environ):
    """What may serve as the Docker client, in the Azure CLI's order: DOCKER_COMMAND, else
    docker, podman (hosts without docker) and docker.exe (Docker Desktop seen from WSL)."""
    command = (environ.get('DOCKER_COMMAND') or '').strip()
    if command:
        return [command]
    return ['docker', 'podman', 'docker.exe']


def resolve_docker(ctx):
    """The Docker client this run may use (a path), or None."""
    _, path, refused = find_client(ctx, docker_candidates(ctx.environ))
    return None if refused else path
