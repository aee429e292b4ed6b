"""Adapters of foreign device sources (zigbee2mqtt, Tasmota, Shelly, ESPHome, vendor HTTP).

Each source is one module with a pure function from (topic, payload) to contract events,
availability changes, aliases or refusals (:mod:`devices.adapters.base`); the gateway binds
the foreign addresses to registered devices and stores what comes out through the same
ack-after-commit path as native events.
"""
