"""``dianta admin …`` and ``dianta audit …``: the operator's commands of the multi-user service (the issue:
"an admin bootstrap command"; "`dianta audit verify` checks the chain"). An adapter: it parses, calls the
security services and prints.

Passwords never come from the command line (they would stay in the shell history and the process list):
they are read from an environment variable or prompted twice with hidden input. Every change is written
with its audit entry in one transaction, as ``cli:<OS user>`` acting as the operator.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from dianta.cli._output import console
from dianta.cli._runner import audit, store_session

#: where `admin bootstrap` and `admin user-add` read the new password from, when set
ADMIN_PASSWORD_ENV = "DIANTA_ADMIN_PASSWORD"
NEW_PASSWORD_ENV = "DIANTA_NEW_PASSWORD"

admin_app = typer.Typer(no_args_is_help=True, add_completion=False,
                        help="Organisations, users, API keys and consents (operator).")
audit_app = typer.Typer(no_args_is_help=True, add_completion=False,
                        help="The audit log: list it, verify its hash chain, write checkpoints.")


def _new_password(env: str) -> str:
    """The new password from ``$env``, else prompted twice with hidden input."""
    from_env = os.environ.get(env)
    if from_env:
        return from_env
    return str(typer.prompt(f"Password (or set ${env})", hide_input=True, confirmation_prompt=True))


def _checkpoint_files(given: list[Path]) -> list[Path]:
    """The checkpoint files of ``--checkpoint``: each file given, and the ``*.json`` files of each folder."""
    from dianta.errors import UsageError

    files: list[Path] = []
    for path in given:
        if path.is_dir():
            found = sorted(path.glob("*.json"))
            if not found:
                raise UsageError(f"--checkpoint {path}: the folder holds no checkpoint files (*.json)",
                                 zh=f"--checkpoint {path}：该文件夹中没有检查点文件（*.json）")
            files += found
        else:
            files.append(path)
    return files


def _read_checkpoint_file(path: Path) -> str:
    """A checkpoint file's text (a few hundred bytes; anything over 64 KiB is not one)."""
    from dianta.errors import UsageError

    try:
        with path.open("rb") as f:
            data = f.read(65537)
    except OSError as exc:
        raise UsageError(f"cannot read checkpoint {path}: {exc.strerror or exc}",
                         zh=f"无法读取检查点 {path}：{exc.strerror or exc}") from None
    if len(data) > 65536:
        raise UsageError(f"{path} is not an audit checkpoint (written by `dianta audit checkpoint`)",
                         zh=f"{path} 不是审计检查点（应由 `dianta audit checkpoint` 写出）")
    return data.decode("utf-8", errors="replace")


# -- admin -------------------------------------------------------------------------------------------


@admin_app.command("bootstrap")
def bootstrap(username: Annotated[str, typer.Option("--username", help="the first operator user")]) -> None:
    """Create the operator organisation and its first user (refused once an operator user exists).
    Password: $DIANTA_ADMIN_PASSWORD, else prompted."""
    from dianta.errors import Conflict
    from dianta.security.users import bootstrap_admin, list_users

    with store_session() as store:
        if any(u["role"] == "operator" for u in list_users(store)):  # before asking for a password
            raise Conflict("an operator user exists already; operators add users with `dianta admin user-add`",
                           zh="已有运维（operator）用户；运维人员可用 `dianta admin user-add` 添加用户")
        password = _new_password(ADMIN_PASSWORD_ENV)
        with store.engine.begin() as con:
            user = bootstrap_admin(store, username=username, password=password, connection=con)
            audit(store, "user.bootstrap", f"user:{user['user_id']}", detail=user, connection=con)
    typer.echo(f"operator user {user['username']} created (user id {user['user_id']})")


@admin_app.command("org-add")
def org_add(org_id: Annotated[str, typer.Argument(help="e.g. BANK-QH-001, PBOC-QH")],
            kind: Annotated[str, typer.Option("--kind", help="operator, bank, enterprise, regulator or park")],
            name: Annotated[str, typer.Option("--name", help="the organisation's name")],
            credit_code: Annotated[str | None, typer.Option("--credit-code", help="enterprises only: "
                                                            "unified social credit code")] = None,
            park_id: Annotated[str | None, typer.Option("--park-id", help="park organisations only: the park it "
                                                        "manages (defined in the ledger first)")] = None) -> None:
    """Register an organisation (a bank is a tenant; a park organisation manages one park)."""
    from dianta.security.users import create_organisation

    with store_session() as store:
        with store.engine.begin() as con:
            org = create_organisation(store, org_id=org_id, kind=kind, name=name, credit_code=credit_code,
                                      park_id=park_id, connection=con)
            audit(store, "organisation.create", f"organisation:{org_id}", detail=org, connection=con)
    typer.echo(f"{org['kind']} organisation {org['org_id']} ({org['name']}) created")


@admin_app.command("org-list")
def org_list(kind: Annotated[str | None, typer.Option("--kind", help="only this kind")] = None) -> None:
    """List organisations."""
    from dianta.security.users import list_organisations

    with store_session() as store:
        orgs = list_organisations(store, kind=kind)
    table = Table("org", "kind", "name", "credit code", "park", "created")
    for o in orgs:
        table.add_row(o["org_id"], o["kind"], o["name"], o["credit_code"] or "", o["park_id"] or "", o["created_at"])
    console.print(table)


@admin_app.command("user-add")
def user_add(username: Annotated[str, typer.Argument(help="3–64 characters of A–Z a–z 0–9 _ . @ -")],
             role: Annotated[str, typer.Option("--role", help="the organisation's kind")],
             org: Annotated[str, typer.Option("--org", help="organisation id")],
             machine: Annotated[bool, typer.Option("--machine", help="no password: the user only uses API "
                                                   "keys")] = False) -> None:
    """Add a user to an organisation. Password: $DIANTA_NEW_PASSWORD, else prompted (none with --machine)."""
    from dianta.security.users import create_user

    with store_session() as store:
        password = None if machine else _new_password(NEW_PASSWORD_ENV)
        with store.engine.begin() as con:
            user = create_user(store, username=username, password=password, role=role, org_id=org,
                               connection=con)
            audit(store, "user.create", f"user:{user['user_id']}", detail=user, connection=con)
    typer.echo(f"{user['role']} user {user['username']} of {user['org_id']} created (user id {user['user_id']})")


@admin_app.command("user-list")
def user_list(org: Annotated[str | None, typer.Option("--org", help="only this organisation")] = None) -> None:
    """List users (never their password hashes)."""
    from dianta.security.users import list_users

    with store_session() as store:
        users = list_users(store, org_id=org)
    table = Table("id", "user", "role", "org", "active", "created")
    for u in users:
        table.add_row(str(u["user_id"]), u["username"], u["role"], u["org_id"], "yes" if u["active"] else "no",
                      u["created_at"])
    console.print(table)


def _set_active(username: str, active: bool) -> None:
    from dianta.security.users import find_user, set_user_active

    with store_session() as store:
        user_id = find_user(store, username=username)["user_id"]
        with store.engine.begin() as con:
            user = set_user_active(store, user_id=user_id, active=active, connection=con)
            audit(store, "user.activate" if active else "user.deactivate", f"user:{user_id}", detail=user,
                  connection=con)
    typer.echo(f"user {username} {'activated' if active else 'deactivated'}")


@admin_app.command("user-deactivate")
def user_deactivate(username: Annotated[str, typer.Argument()]) -> None:
    """Deactivate a user: logins, tokens and API keys stop working at once."""
    _set_active(username, False)


@admin_app.command("user-activate")
def user_activate(username: Annotated[str, typer.Argument()]) -> None:
    """Activate a deactivated user again."""
    _set_active(username, True)


@admin_app.command("apikey-create")
def apikey_create(username: Annotated[str, typer.Argument(help="the (machine) user the key acts as")],
                  label: Annotated[str, typer.Option("--label", help="what uses the key")]) -> None:
    """Make an API key; it is printed once, on standard output, and cannot be shown again."""
    from dianta.security.apikeys import create_api_key, parse_api_key
    from dianta.security.users import find_user

    with store_session() as store:
        user_id = find_user(store, username=username)["user_id"]
        with store.engine.begin() as con:
            key = create_api_key(store, user_id=user_id, label=label, connection=con)
            key_id = parse_api_key(key)[0]
            audit(store, "apikey.create", f"api-key:{key_id}",
                  detail={"key_id": key_id, "user_id": user_id, "username": username, "label": label}, connection=con)
    typer.echo(f"API key {key_id} for {username}; it is shown only now, keep it secret:",
               err=True)
    typer.echo(key)


@admin_app.command("apikey-revoke")
def apikey_revoke(key_id: Annotated[str, typer.Argument(help="the 12 hex characters after dk_")]) -> None:
    """Revoke an API key; it stops working at once."""
    from dianta.security.apikeys import revoke_api_key

    with store_session() as store:
        with store.engine.begin() as con:
            revoke_api_key(store, key_id=key_id, connection=con)
            audit(store, "apikey.revoke", f"api-key:{key_id}", detail={"key_id": key_id}, connection=con)
    typer.echo(f"API key {key_id} revoked")


@admin_app.command("consent-grant")
def consent_grant(credit_code: Annotated[str, typer.Option("--credit-code", help="the enterprise granting")],
                  bank: Annotated[str, typer.Option("--bank", help="the bank's organisation id")],
                  scope: Annotated[str, typer.Option("--scope", help="summary, full or reports")],
                  expires_on: Annotated[str, typer.Option("--expires-on", help="last day, YYYY-MM-DD")],
                  reason: Annotated[str | None, typer.Option("--reason", help="why, e.g. the signed form's "
                                                             "reference")] = None) -> None:
    """Record an enterprise's consent to a bank (e.g. from a signed paper form)."""
    from dianta.ledger.store import current_user
    from dianta.security.consents import grant_consent
    from dianta.security.principal import local_operator

    actor = local_operator(current_user()).actor
    with store_session() as store:
        with store.engine.begin() as con:
            consent = grant_consent(store, credit_code=credit_code, bank_org_id=bank, scope=scope,
                                    expires_on=expires_on, granted_by=actor, connection=con)
            audit(store, "consent.grant", f"consent:{consent['consent_id']}", why=reason, detail=consent,
                  connection=con)
    typer.echo(f"consent {consent['consent_id']}: {credit_code} lets {bank} read '{scope}' until {expires_on}")


@admin_app.command("consent-revoke")
def consent_revoke(consent_id: Annotated[int, typer.Argument()],
                   reason: Annotated[str | None, typer.Option("--reason", help="why")] = None) -> None:
    """Revoke a consent from now on."""
    from dianta.ledger.store import current_user
    from dianta.security.consents import revoke_consent
    from dianta.security.principal import local_operator

    actor = local_operator(current_user()).actor
    with store_session() as store:
        with store.engine.begin() as con:
            consent = revoke_consent(store, consent_id=consent_id, revoked_by=actor, connection=con)
            audit(store, "consent.revoke", f"consent:{consent_id}", why=reason, detail=consent, connection=con)
    typer.echo(f"consent {consent_id} revoked")


@admin_app.command("consent-list")
def consent_list(credit_code: Annotated[str | None, typer.Option("--credit-code")] = None,
                 bank: Annotated[str | None, typer.Option("--bank")] = None,
                 live: Annotated[bool, typer.Option("--live", help="only consents live today")] = False) -> None:
    """List consents."""
    from dianta.security.consents import list_consents

    with store_session() as store:
        consents = list_consents(store, credit_code=credit_code, bank_org_id=bank, live_only=live)
        audit(store, "consent.read", f"consents:{credit_code or 'all'}",
              detail={"consent_ids": [c["consent_id"] for c in consents], "bank": bank, "live_only": live,
                      "credit_codes": sorted({str(c["credit_code"]) for c in consents})})
    table = Table("id", "enterprise", "bank", "scope", "expires", "live", "granted", "revoked")
    for c in consents:
        table.add_row(str(c["consent_id"]), c["credit_code"], c["bank_org_id"], c["scope"], c["expires_on"],
                      "yes" if c["live"] else "no", f"{c['granted_at']} {c['granted_by']}",
                      f"{c['revoked_at']} {c['revoked_by']}" if c["revoked_at"] else "")
    console.print(table)


# -- audit -------------------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify(
    expect_head: Annotated[list[str] | None, typer.Option(
        "--expect-head", metavar="N:HASH", help="a head printed by an earlier `dianta audit verify` and kept "
        "outside the ledger: the log must still hold N entries, the N-th with this hash (repeatable)")] = None,
    checkpoint: Annotated[list[Path] | None, typer.Option(
        "--checkpoint", metavar="FILE|FOLDER", help="a file written by `dianta audit checkpoint`, or a folder "
        "of them (*.json): each must carry this store's signature, and the log must still hold its head "
        "(repeatable)")] = None) -> None:
    """Recompute the audit log's hash chain; check it still holds every head recorded elsewhere.

    Exit 0 when intact (the head is printed as N:HASH, to keep outside the ledger), 1 at the first bad
    or missing entry."""
    from dianta.security.audit import parse_head, read_checkpoint, verify_chain

    with store_session() as store:
        expected = [parse_head(h, source="--expect-head") for h in expect_head or []]
        expected += [read_checkpoint(store, _read_checkpoint_file(f), source=str(f))
                     for f in _checkpoint_files(checkpoint or [])]
        report = verify_chain(store, expect=expected)
    if not report.ok:
        typer.echo(f"audit chain broken at entry {report.first_bad_entry}: {report.problem} "
                   f"({report.entries} entries)")
        raise typer.Exit(1)
    held = f"; it holds the {len(expected)} head(s) recorded elsewhere" if expected else ""
    typer.echo(f"audit chain intact: {report.entries} entries; head {report.head}{held}")


@audit_app.command("checkpoint")
def audit_checkpoint(out: Annotated[Path | None, typer.Option(
        "--out", metavar="FILE|FOLDER", help="the file to write, or a folder to write "
        "audit-checkpoint-<time>-<entries>.json into; default: standard output")] = None) -> None:
    """Write a signed checkpoint of the audit log's head; run it daily (cron), keep the files elsewhere.

    The checkpoint holds the entry count and the newest hash, signed with a store secret; it is refused
    while the log does not verify. Keep the files where whoever can write the ledger cannot change them
    (another machine, write-once storage): `dianta audit verify --checkpoint FOLDER` then finds a log
    cut back, rewritten or wiped since."""
    from dianta.errors import UsageError
    from dianta.security.audit import make_checkpoint

    with store_session() as store:
        made = make_checkpoint(store)
        text = json.dumps(made, indent=2) + "\n"
        if out is None:
            typer.echo(text, nl=False)
            return
        stamp = made["at"].replace("-", "").replace(":", "").replace("+0000", "Z")
        target = out / f"audit-checkpoint-{stamp}-{made['entries']}.json" if out.is_dir() else out
        temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            temp.write_text(text, encoding="utf-8")
            os.replace(temp, target)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise UsageError(f"cannot write the checkpoint to {target}: {exc.strerror or exc}",
                             zh=f"无法将检查点写入 {target}：{exc.strerror or exc}") from None
    typer.echo(f"wrote {target}: {made['entries']} entries, head {made['entries']}:{made['head_hash']}",
               err=True)


@audit_app.command("list")
def audit_list(actor: Annotated[str | None, typer.Option("--actor")] = None,
               action: Annotated[str | None, typer.Option("--action", help="e.g. consent.grant")] = None,
               resource: Annotated[str | None, typer.Option("--resource", help="resources starting with "
                                                            "this, e.g. account:9163")] = None,
               limit: Annotated[int, typer.Option("--limit", min=0)] = 100,
               offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
               as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False) -> None:
    """Entries of the audit log, newest first."""
    from dianta.security.audit import list_entries

    with store_session() as store:
        entries = list_entries(store, actor=actor, action=action, resource_prefix=resource, limit=limit,
                               offset=offset)
    if as_json:
        for e in entries:
            typer.echo(json.dumps({k: v for k, v in e.items() if k != "detail_json"}, ensure_ascii=False))
        return
    table = Table("entry", "at (UTC)", "actor", "role", "org", "action", "resource", "outcome", "why")
    for e in entries:
        table.add_row(str(e["entry_id"]), e["at"], e["actor"], e["role"], e["org_id"] or "", e["action"],
                      e["resource"], e["outcome"], e["why"] or "")
    console.print(table)
