-- fedi-storage-postgres, schema version 1: every concern of the fedi-storage traits.
-- Names (IRIs, collections, members, queues, lanes, namespaces, key ids) are text in the "C"
-- collation, so that they sort bytewise as in the sled backend; key-value keys are bytea.
-- Times are milliseconds since the Unix epoch (bigint, saturated at 2^63 - 1). A collection
-- sort key (a u64) is stored as `key XOR 2^63` reinterpreted as bigint, which keeps the order
-- of the whole u64 range.

CREATE TABLE fedi_documents (
    iri          text COLLATE "C" PRIMARY KEY,
    body         bytea,            -- NULL for a tombstone
    origin       smallint,         -- 0 local, 1 remote
    fetched_at   bigint,
    stored_at    bigint,
    content_hash bytea,
    deleted_at   bigint,           -- set for a tombstone
    former_type  text,
    CHECK ((body IS NULL) = (deleted_at IS NOT NULL))
);

CREATE TABLE fedi_collection_items (
    collection text COLLATE "C" NOT NULL,
    member     text COLLATE "C" NOT NULL,
    sort_key   bigint NOT NULL,
    PRIMARY KEY (collection, member)
);
CREATE INDEX fedi_collection_items_order ON fedi_collection_items (collection, sort_key, member);

-- Member counts, kept in the same transaction as the items (count() is one row read).
CREATE TABLE fedi_collection_counts (
    collection text COLLATE "C" PRIMARY KEY,
    members    bigint NOT NULL
);

CREATE TABLE fedi_local_keys (
    key_id         text COLLATE "C" PRIMARY KEY,
    owner          text COLLATE "C" NOT NULL,
    algorithm      text NOT NULL,
    private_key    bytea NOT NULL,
    public_key_pem text NOT NULL,
    created_at     bigint NOT NULL
);
CREATE INDEX fedi_local_keys_owner ON fedi_local_keys (owner, key_id);

CREATE TABLE fedi_remote_keys (
    key_id         text COLLATE "C" PRIMARY KEY,
    owner          text COLLATE "C" NOT NULL,
    public_key_pem text NOT NULL,
    parsed         bytea,
    fetched_at     bigint NOT NULL
);
CREATE INDEX fedi_remote_keys_owner ON fedi_remote_keys (owner);

-- Dedupe: the primary key makes check-and-set one atomic INSERT ... ON CONFLICT.
CREATE TABLE fedi_seen (
    id         text COLLATE "C" PRIMARY KEY,
    expires_at bigint NOT NULL
);
CREATE INDEX fedi_seen_expiry ON fedi_seen (expires_at);

CREATE TABLE fedi_kv (
    namespace text COLLATE "C" NOT NULL,
    key       bytea NOT NULL,
    value     bytea NOT NULL,
    PRIMARY KEY (namespace, key)
);

-- Jobs: `due_at` is when the job may be leased: its not-before time, or, while it is
-- leased, the end of the lease (so an expired lease makes it due again).
CREATE TABLE fedi_jobs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue        text COLLATE "C" NOT NULL,
    lane         text COLLATE "C" NOT NULL,
    payload      bytea NOT NULL,
    attempts     integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL,
    due_at       bigint NOT NULL,
    leased       boolean NOT NULL DEFAULT false,
    last_error   text
);
CREATE INDEX fedi_jobs_due ON fedi_jobs (queue, due_at, id);
CREATE INDEX fedi_jobs_lane ON fedi_jobs (queue, lane, due_at) INCLUDE (leased);

CREATE TABLE fedi_dead_letters (
    queue      text COLLATE "C" NOT NULL,
    id         bigint NOT NULL,
    lane       text COLLATE "C" NOT NULL,
    payload    bytea NOT NULL,
    attempts   integer NOT NULL,
    last_error text NOT NULL,
    dead_at    bigint NOT NULL,
    PRIMARY KEY (queue, id)
);
