# Read by the `flask` command (python-dotenv) on a developer's machine only;
# gunicorn and the Docker image never read it and default to production.
LEAVERGUARD_ENV=development
# The demo's HR approver, so a sign-off request from `make run` reaches /dev/outbox.
LEAVERGUARD_HR_APPROVERS=hr@northwind.example
# The demo's admin console users (sign in at /signin as one of them; roles: admin, hr, viewer).
LEAVERGUARD_ADMIN_USERS=admin@northwind.example
LEAVERGUARD_VIEWER_USERS=viewer@northwind.example
