"""Service profiles: what one kind of service needs from a plan beyond the generic Helm steps.

Look a profile up with :func:`compiler.profiles.registry.profile_for`. This
package file imports nothing, so plan and render modules can name the
:class:`~compiler.profiles.base.Profile` type without pulling every profile in.
"""
