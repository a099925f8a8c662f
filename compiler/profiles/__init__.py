"""Service profiles: everything one service's vendor says about upgrading it.

The core stages (spec, resolve, plan, render) are service-neutral; they ask the
profile of ``environment.service`` (see :mod:`compiler.profiles.registry`) for
the facts and steps that differ between services.
"""
