-- +goose Up
-- What partners wrote in the sandbox. Generated sandbox data (spreaders,
-- telemetry, a few work orders) is computed from the partner's id and never
-- stored; only writes are: work orders a partner opened, and generated work
-- orders whose status a partner changed (the row then replaces the
-- generated one). "Reset sandbox data" deletes a partner's rows, so its
-- sandbox is back to the generated state.
CREATE TABLE sandbox_work_orders (
    partner_id  bigint NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    id          text NOT NULL CHECK (id ~ '^WO-[0-9]{6}$'),
    -- body is the work order as the Maintenance API answers it.
    body        jsonb NOT NULL CHECK (jsonb_typeof(body) = 'object'),
    -- alarm_id is copied from the body, so the Telemetry API finds the
    -- work orders opened for an alarm.
    alarm_id    text,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner_id, id)
);
CREATE INDEX sandbox_work_orders_newest ON sandbox_work_orders (partner_id, created_at DESC, id DESC);
CREATE INDEX sandbox_work_orders_alarm ON sandbox_work_orders (partner_id, alarm_id) WHERE alarm_id IS NOT NULL;

-- The number of work orders each partner opened since its last reset,
-- from which the next id is derived.
CREATE TABLE sandbox_counters (
    partner_id  bigint NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    name        text NOT NULL,
    value       bigint NOT NULL,
    PRIMARY KEY (partner_id, name)
);

-- +goose Down
DROP TABLE sandbox_counters;
DROP TABLE sandbox_work_orders;
