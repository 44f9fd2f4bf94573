"""Runs the whole portal on one machine: settings, migrations, demo data, processes and the gateway."""
