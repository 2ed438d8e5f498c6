-- The statements of one intake of a new contact, as SeaOrmStore::record_inbound issues them,
-- for pgbench: the database's own ceiling for the intake transaction on this machine.
-- Usage (on a database migrated by the store, e.g. kept by LEAD_STORE_BENCH_KEEP=1 cargo bench):
--   pgbench -n -M prepared -f intake_pgbench.sql -D tenant=<clients.id> -c 8 -j 2 -T 10 <url>
\set n random(1, 2000000000)
BEGIN;
SELECT id FROM leads WHERE tenant_id = :tenant AND phone = '+1666' || :n::text LIMIT 1;
INSERT INTO leads (id, tenant_id, phone, email, chat_session, name, language, state, score, score_points, score_card, score_override, budget_min, budget_max, currency, service, qualification, version, source_channel, source_detail, created_at, updated_at) VALUES (md5('l' || :n::text)::uuid, :tenant, '+1666' || :n::text, NULL, NULL, 'Ahmed', NULL, 'NEW', 'UNSCORED', 0, '{"score":"UNSCORED","points":0,"reasons":[]}', NULL, NULL, NULL, NULL, NULL, '{}', 1, 'web_form', 'website', now(), now()) ON CONFLICT DO NOTHING;
SELECT id FROM conversations WHERE tenant_id = :tenant AND lead_id = md5('l' || :n::text)::uuid AND channel = 'web_form' AND status = 'open' LIMIT 1;
INSERT INTO conversations (id, tenant_id, lead_id, channel, status, escalated, exchanges, language, reply_to, last_inbound_at, created_at, updated_at) VALUES (md5('c' || :n::text)::uuid, :tenant, md5('l' || :n::text)::uuid, 'web_form', 'open', false, 1, NULL, '{"kind":"phone","value":"+1666"}', now(), now(), now()) ON CONFLICT DO NOTHING;
INSERT INTO messages (id, tenant_id, conversation_id, direction, sender, channel, body, language, provider_message_id, delivery_status, delivery_error, created_at) VALUES (md5('m' || :n::text)::uuid, :tenant, md5('c' || :n::text)::uuid, 'inbound', 'lead', 'web_form', 'I want a villa in Riyadh', NULL, NULL, 'not_applicable', NULL, now()) ON CONFLICT DO NOTHING;
INSERT INTO jobs (id, tenant_id, kind, payload, queue_key, status, attempts, max_attempts, run_at, locked_until, locked_by, last_error, created_at, updated_at) VALUES (md5('j' || :n::text)::uuid, :tenant, 'process_inbound', '{"type":"process_inbound"}', md5('c' || :n::text)::uuid, 'queued', 0, 5, now(), NULL, NULL, NULL, now(), now()) ON CONFLICT DO NOTHING;
COMMIT;
