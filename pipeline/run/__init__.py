"""Run stage: the build, its cache, unattended runs and the command line."""
