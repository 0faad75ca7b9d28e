"""Sources of truth: leavers from Entra ID, Google Directory and HR systems, clients from CRMs (issue 7).

- records.py: what a source reports, normalised, and the plan of a run (pure);
- merge.py: the merge rules (pure);
- connectors/: one module per source, from its adapter's answer to records;
- store.py: the SQL of syncs (the source's records, runs, status);
- service.py: one run: fetch -> plan -> apply in one transaction -> record -> audit;
- schedule.py: `sync all --loop`, each connector at its interval, retried with backoff;
- cli.py: the `flask --app server sync …` commands.

Only cli.py knows Flask.
"""
