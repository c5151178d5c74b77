"""LDAP login (docs/ldap.md): django-auth-ldap's backend plus what Stockbook adds.

- LDAP groups map to roles (Django groups, by name) through STOCKBOOK_LDAP_GROUP_ROLES. Only the groups
  named in the mapping are managed: at each login the user is added to the mapped roles of the LDAP groups
  they are in and removed from the mapped roles they are no longer entitled to; other groups an
  administrator gave them in Stockbook stay. A missing role group is created (by name, without
  permissions).
- A local account (one with a usable Stockbook password) is never taken over by a directory entry of the
  same name unless STOCKBOOK_LDAP_TAKE_OVER_LOCAL=1: the local password keeps working, the LDAP one does not.
- A user made inactive in Stockbook stays locked out even with a valid LDAP password.
- Any LDAP error (server down, timeout, …) makes the LDAP login fail like a wrong password: it is logged,
  the next backend (local passwords) is tried, and the login form shows its usual message.

Lockout (django-axes) is not handled here: the axes backend comes first and failures reach it through
Django's ``user_login_failed`` signal like any other failed login.
"""
from __future__ import annotations

import logging

import ldap
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django_auth_ldap.backend import LDAPBackend as _LDAPBackend

from stockbook.users.ldap_settings import is_dn, normalize_dn

logger = logging.getLogger("stockbook.ldap")


def mapped_roles(ldap_user, group_roles: dict[str, tuple[str, ...]]) -> set[str]:
    """The role names the user's LDAP groups map to (keys normalised as by parse_group_roles)."""
    dns = {normalize_dn(dn) for dn in ldap_user.group_dns}
    names = {str(n).casefold() for n in ldap_user.group_names if n}
    roles: set[str] = set()
    for key, targets in group_roles.items():
        if key in (dns if is_dn(key) else names):
            roles.update(targets)
    return roles


@transaction.atomic
def sync_roles(user, wanted: set[str], managed: set[str]) -> tuple[set[str], set[str]]:
    """Give ``user`` exactly the roles ``wanted`` among ``managed``; returns (added, removed) names."""
    current = set(user.groups.filter(name__in=managed).values_list("name", flat=True))
    add, remove = wanted - current, current - wanted
    if add:
        user.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in sorted(add)))
    if remove:
        user.groups.remove(*Group.objects.filter(name__in=remove))
    return add, remove


class LDAPBackend(_LDAPBackend):
    def get_or_build_user(self, username, ldap_user):
        user, built = super().get_or_build_user(username, ldap_user)
        if not built and user.has_usable_password() and not getattr(settings, "STOCKBOOK_LDAP_TAKE_OVER_LOCAL", False):
            logger.warning("LDAP login refused for %s: a local account of that name exists "
                           "(set STOCKBOOK_LDAP_TAKE_OVER_LOCAL=1 or make its password unusable)", username)
            raise ldap_user.AuthenticationFailed("local account")
        return user, built

    def authenticate_ldap_user(self, ldap_user, password):
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is None:
            return None
        if not user.is_active:
            logger.info("LDAP login refused for %s: the account is inactive in Stockbook", user.get_username())
            return None
        group_roles = getattr(settings, "STOCKBOOK_LDAP_GROUP_ROLES", None) or {}
        if group_roles:
            try:
                wanted = mapped_roles(ldap_user, group_roles)
            except ldap.LDAPError as e:  # the roles cannot be known: no login with possibly stale ones
                logger.warning("LDAP login refused for %s: reading its groups failed: %r", user.get_username(), e)
                return None
            managed = {r for targets in group_roles.values() for r in targets}
            added, removed = sync_roles(user, wanted, managed)
            if added or removed:
                logger.info("LDAP roles of %s: +%s -%s", user.get_username(), sorted(added), sorted(removed))
        return user
