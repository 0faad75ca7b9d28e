"""The admin console's own pieces below the web layer: pure form parsing and the SQL of its pages.

- policy_form.py: the policy page's form -> PolicySettings, every problem by field (pure);
- policy_diff.py: settings as form values, and what changed between two settings (pure);
- probe_form.py: the "test a message" form -> sender, message and language (pure);
- audit_query.py: the audit log's filters from query arguments, and its keyset cursor (pure);
- evidence.py: one leaver's held, warned and approved sends with their sign-offs, as rows (pure);
- csv_out.py: CSV lines for streaming, with cells a spreadsheet would run made harmless (pure);
- register_forms.py: the Departures and Clients forms -> model values, every problem by field (pure);
- dashboard_store.py, queue_store.py, audit_store.py: SQL taking a Connection (store-like), rows.py their rows;
- departures_store.py, clients_store.py: the registers' lists, searches and versioned records (store-like);
- uploads_store.py: CSV uploads awaiting confirmation (pending_uploads);
- paging.py: keyset pages and index-friendly prefix matching (no OFFSET, no COUNT over big tables).

Store-like modules take a SQLAlchemy Connection (the caller owns the transaction) and
return model objects or plain values.

Pure modules import only the stdlib and the other pure server modules (model, messages);
no module here imports Flask.
"""
