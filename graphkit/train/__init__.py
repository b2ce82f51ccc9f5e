"""The one epoch loop and what procedures share: configs, seeding, devices, selection, timing, memory."""
