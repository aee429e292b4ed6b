-- Foreign device sources (docs/devices.md, docs/ingest.md "Foreign sources"): a device may be
-- bound to one foreign id, e.g. {"kind": "zigbee2mqtt", "address": "0x00158d0001a2b3c4"}.
-- One device per (kind, address): a foreign message names exactly one elder's device.
ALTER TABLE devices
    ADD COLUMN source_kind text,
    ADD COLUMN source_address text,
    ADD CONSTRAINT devices_source_whole CHECK ((source_kind IS NULL) = (source_address IS NULL));
CREATE UNIQUE INDEX devices_source ON devices (source_kind, source_address)
    WHERE source_kind IS NOT NULL;

-- The gateways hold the bindings in memory: a binding's change must reach them as a change
-- of type or elder does (devices.registry listens on tanfang_devices).
DROP TRIGGER devices_notify ON devices;
CREATE TRIGGER devices_notify
    AFTER INSERT OR DELETE OR UPDATE OF elder_id, type, source_kind, source_address ON devices
    FOR EACH ROW EXECUTE FUNCTION tanfang_notify_devices();

-- Second names of one foreign device, as its source tells them (a zigbee2mqtt friendly name
-- of an IEEE address): a device bound by either name gets the messages sent under the other.
CREATE TABLE source_aliases (
    kind        text NOT NULL,
    name        text NOT NULL,
    address     text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, name)
);
CREATE INDEX source_aliases_address ON source_aliases (kind, address);

-- A dead letter of a foreign source keeps which source and address it came from: the fleet
-- lists unbound addresses from them, and binding an address replays its letters.
ALTER TABLE dead_letters
    ADD COLUMN source_kind text,
    ADD COLUMN source_address text;
CREATE INDEX dead_letters_source ON dead_letters (source_kind, source_address, id)
    WHERE source_kind IS NOT NULL;
