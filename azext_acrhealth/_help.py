# acrhealth (MIT licence). Help text of `az acr check-health`.

from knack.help_files import helps

helps['acr check-health'] = """
type: command
short-summary: Find out why pulling from or pushing to a container registry does not work.
long-summary: |
    Checks the local environment (Docker client and daemon, a sample image pull, the Azure CLI,
    Helm and Notary) and, with --name, the path to the registry: its login server, DNS, the
    /v2/ authentication challenge, the Azure AD token exchange, the access token, repository
    permissions, every host a pull needs (the login server, the registry's dedicated data
    endpoints and regional endpoints: DNS, then TCP and TLS on each address in turn, listed in
    the report's "endpoints"), who you are signed in as
    (the report's "identity"), the registry's authentication settings, what your role
    assignments grant in the registry's mode (and which role to ask for when a token is
    refused), Docker's saved credentials for the registry, the customer-managed-key identity
    and, with --vnet, private endpoint DNS. With --image it also pulls that image's
    manifest and config blob without Docker, through the registry's redirect to the host that
    serves its layers.
    Every problem is reported with a documented error code, what it means, what to do, and a
    link to https://aka.ms/acr/errors.

    A line per check goes to stderr as it finishes (a mark, the check, its code, the message);
    after the report, a summary of what needs action, each with its fix and link, so the last
    lines on screen are what to do. --only-show-errors hides them. The report goes to stdout:
    -o table reads best in a terminal (the table, as wide as the terminal, then lists the
    checks instead of the progress lines), -o json in a pipeline. In GitHub Actions and Azure
    Pipelines each failure and warning is also an annotation, and the run leaves a step summary.
    The exit code is 1 when any check failed, 0 otherwise, also with --ignore-errors. Without
    --yes and without a terminal, the sample pull is skipped rather than waiting for an answer.
    --skip leaves checks out by their ids in the report (helm, notary, ...), and so does
    `az config set acrhealth.skip="helm notary"` (or AZURE_ACRHEALTH_SKIP) for every run.
    No network call or child process takes longer than --timeout seconds (two for an ARM call
    or the Azure AD token, which may retry once), and each check ends within its own budget of
    them, reporting what timed out.
examples:
  - name: Check the environment and a registry, answering the pull question interactively.
    text: az acr check-health --name myregistry
  - name: In a pipeline (annotations and a step summary in GitHub Actions and Azure Pipelines), never prompt, keep the JSON report and fail the step on any failure.
    text: az acr check-health --name myregistry --yes --ignore-errors -o json
  - name: On a machine without Helm or Notary, leave their checks out.
    text: az acr check-health --name myregistry --yes --skip helm notary
  - name: List only the codes of the checks that failed.
    text: az acr check-health --name myregistry --yes --query "checks[?status=='failed'].code" -o tsv
  - name: Check that you may pull and push a repository.
    text: az acr check-health --name myregistry --repository samples/hello-world --yes
  - name: Pull an image's manifest and config blob without Docker, through the data host that serves its layers.
    text: az acr check-health --name myregistry --image samples/hello-world:latest --yes
  - name: Pull an image by digest and list every host the pull needed.
    text: az acr check-health --name myregistry --image samples/hello-world@sha256:<digest> --yes --query endpoints
  - name: See who you are signed in as and what your role assignments grant on the registry.
    text: az acr check-health --name myregistry --yes --query "[identity, checks[?id=='role-assignments'].message]"
  - name: Check DNS routing to the registry's private endpoints in a virtual network.
    text: az acr check-health --name myregistry --vnet myvnet --yes
  - name: Read the result in a terminal, one row per check.
    text: az acr check-health --name myregistry -o table
  - name: Check the local environment only, as a table.
    text: az acr check-health --yes -o table
"""
