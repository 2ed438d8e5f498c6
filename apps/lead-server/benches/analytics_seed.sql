-- A year of one tenant's data for the analytics load test: 100,000 leads with a conversation
-- each, three messages per conversation (the lead, the reply, the lead again), two state
-- changes per lead, 10,000 escalations and 200,000 model calls. Run with psql -v tenant=<uuid>.
\set ON_ERROR_STOP on
BEGIN;
CREATE TEMP TABLE seed AS
SELECT gen_random_uuid() AS lead_id,
       gen_random_uuid() AS conversation_id,
       n,
       now() - (random() * interval '365 days') AS at,
       (ARRAY['web_form','sms','whatsapp','live_chat','missed_call','email'])[1 + n % 6] AS channel,
       (ARRAY['QUALIFYING','QUALIFIED','APPOINTMENT_BOOKED','HANDED_OFF','NURTURING','DISQUALIFIED'])[1 + (n * 7) % 6] AS state,
       (ARRAY['HOT','WARM','COLD','UNSCORED'])[1 + (n * 3) % 4] AS score,
       (5 + (random() * 600))::int AS reply_after
FROM generate_series(1, 100000) AS n;

INSERT INTO leads (id, tenant_id, name, state, score, score_points, score_card, qualification,
                   version, source_channel, created_at, updated_at)
SELECT lead_id, :'tenant'::uuid, 'Lead ' || n, state, score, 0, '{}'::jsonb,
       CASE WHEN n % 17 = 0 THEN '{"not_interested": {"value": true, "evidence": null}}'::jsonb
            ELSE '{}'::jsonb END,
       0, channel, at, at
FROM seed;

INSERT INTO conversations (id, tenant_id, lead_id, channel, status, created_at, updated_at)
SELECT conversation_id, :'tenant'::uuid, lead_id, channel, 'open', at, at FROM seed;

INSERT INTO messages (id, tenant_id, conversation_id, direction, sender, channel, body,
                      delivery_status, delivery_error, created_at)
SELECT gen_random_uuid(), :'tenant'::uuid, conversation_id, 'inbound', 'lead', channel,
       'I am looking for an apartment', 'not_applicable', NULL, at FROM seed
UNION ALL
SELECT gen_random_uuid(), :'tenant'::uuid, conversation_id, 'outbound', 'ai', channel,
       'Hi, thanks for contacting us! What budget do you have in mind?',
       CASE WHEN n % 50 = 0 THEN 'failed' WHEN n % 2 = 0 THEN 'delivered' ELSE 'sent' END,
       CASE WHEN n % 50 = 0 THEN '21610 unsubscribed recipient' END,
       at + make_interval(secs => reply_after) FROM seed
UNION ALL
SELECT gen_random_uuid(), :'tenant'::uuid, conversation_id, 'inbound', 'lead', channel,
       'around 800k', 'not_applicable', NULL, at + interval '10 minutes' FROM seed;

INSERT INTO lead_state_history (id, tenant_id, lead_id, from_state, to_state, event, reason, created_at)
SELECT gen_random_uuid(), :'tenant'::uuid, lead_id, 'NEW', 'QUALIFYING', 'start_qualifying', 'seed', at FROM seed
UNION ALL
SELECT gen_random_uuid(), :'tenant'::uuid, lead_id, 'QUALIFYING', state, 'seed', 'seed', at + interval '1 hour'
FROM seed WHERE state <> 'QUALIFYING';

INSERT INTO escalations (id, tenant_id, conversation_id, lead_id, reason, detail, created_at)
SELECT gen_random_uuid(), :'tenant'::uuid, conversation_id, lead_id,
       (ARRAY['human_requested','high_value','low_confidence','too_many_exchanges'])[1 + n % 4],
       '{"kind": "human_requested"}'::jsonb, at + interval '5 minutes'
FROM seed WHERE n % 10 = 0;

INSERT INTO usage_logs (id, tenant_id, conversation_id, provider, model, month, tokens_in,
                        tokens_out, cost_usd_nanos, created_at)
SELECT gen_random_uuid(), :'tenant'::uuid, conversation_id, 'anthropic', 'claude-haiku',
       to_char(at, 'YYYY-MM'), 1200, 150, 1500000, at
FROM seed, generate_series(1, 2);
COMMIT;
ANALYZE;
