# Read by the `flask` command (python-dotenv) on a developer's machine only;
# gunicorn and the Docker image never read it and default to production.
LEAVERGUARD_ENV=development
# The demo's HR approver, so a sign-off request from `make run` reaches /dev/outbox.
LEAVERGUARD_HR_APPROVERS=hr@northwind.example
