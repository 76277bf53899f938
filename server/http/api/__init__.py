"""JSON API controllers under /api/v1: parse, call a service, present. No business rules."""
