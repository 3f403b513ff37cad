"""Plain data shared by every layer: entities, enums, the session state machine. Imports nothing of carrot."""
