"""Every error Dianta shows has a Chinese text and a code (issue 17 item 5): the source holds no raise of a Dianta
error without one, the catalogue (dianta.messages.ERRORS) is complete and its two languages agree, and the API
answers 404, 403, 409 and FastAPI's own 422 with ``code``, ``detail`` (English) and ``detail_zh`` (Chinese)."""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
import string
from pathlib import Path
from typing import Any

import httpx
import pytest

import dianta
import dianta.errors as errors_module
from dianta.api.app import create_app
from dianta.errors import Conflict, DiantaError, NotFound, StoreUnavailable, UsageError, report_text
from dianta.ledger.store import Store
from dianta.messages import ERRORS, error_text
from dianta.security import throttle
from dianta.security.tokens import issue_token
from dianta.security.users import authenticate, bootstrap_admin, create_organisation, create_user

SRC = Path(dianta.__file__).parent
#: every Dianta error class by name (the hierarchy of dianta.errors, and the one defined elsewhere)
ERROR_CLASSES = {name: cls for name, cls in vars(errors_module).items()
                 if inspect.isclass(cls) and issubclass(cls, DiantaError)}
ERROR_CLASSES["TooManyAttempts"] = throttle.TooManyAttempts
#: constructions that need no ``zh=`` because the class takes the Chinese text positionally (``(en, zh)``) or sets
#: it itself; none other is exempt
CHINESE_BY_CLASS = {"StoreUnavailable", "LedgerBusy", "LedgerUnreachable", "DiskFull", "StorageFailure",
                    "EngineUnavailable", "LakeCorrupt"}
HAN = re.compile(r"[\u4e00-\u9fff]")


def _calls() -> list[tuple[str, int, str, ast.Call]]:
    """Every call in dianta's source that constructs a Dianta error class by its name: (file, line, class, call)."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if name in ERROR_CLASSES:
                    found.append((str(path.relative_to(SRC)), node.lineno, name, node))
    return found


def _catalogue_codes() -> list[tuple[str, int, str]]:
    """Every ``X.of("code", …)`` of a Dianta error class in the source: (file, line, code)."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "of" \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id in ERROR_CLASSES:
                first = node.args[0]
                assert isinstance(first, ast.Constant), (path, node.lineno, "the code is a literal")
                found.append((str(path.relative_to(SRC)), node.lineno, str(first.value)))
    return found


def test_every_raise_of_a_dianta_error_has_a_chinese_text() -> None:
    """A Dianta error is raised from the catalogue (``X.of(code, …)``, not a construction by name) or with ``zh=``
    (``error_text`` of the catalogue for a class that takes more than the message); no exceptions but the classes
    that take their Chinese text positionally or set it themselves."""
    calls = _calls()
    assert len(calls) > 100  # the walk sees the source (162 constructions when this test was written)
    missing = [f"{file}:{line} {name}" for file, line, name, call in calls
               if name not in CHINESE_BY_CLASS and not any(k.arg == "zh" for k in call.keywords)]
    assert missing == [], "raises without a Chinese text: " + ", ".join(missing)
    positional = [f"{file}:{line}" for file, line, name, call in calls
                  if name in CHINESE_BY_CLASS - {"LakeCorrupt"} and len(call.args) < 2]
    assert positional == []


def test_inline_chinese_texts_are_chinese() -> None:
    """A ``zh=`` given as a literal (or an f-string) holds Chinese characters: not the English text again."""
    for file, line, _name, call in _calls():
        for keyword in call.keywords:
            if keyword.arg == "zh" and isinstance(keyword.value, (ast.Constant, ast.JoinedStr)):
                assert HAN.search(ast.unparse(keyword.value)), (file, line)


def test_every_code_used_is_in_the_catalogue() -> None:
    used = _catalogue_codes()
    assert len(used) > 80
    assert [(f, n, c) for f, n, c in used if c not in ERRORS] == []
    for cls in ERROR_CLASSES.values():  # each class's own code answers an error that names none
        assert cls.code in ERRORS, cls


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", sorted(ERRORS))
def test_catalogue_entry_has_both_languages_and_the_same_placeholders(code: str) -> None:
    en, zh = ERRORS[code]
    assert en.strip() and zh.strip() and HAN.search(zh) and not HAN.search(en.replace("中文", "")), code
    # a Chinese {x_zh} is the Chinese of the English {x}
    assert _fields(en) == {f.removesuffix("_zh") for f in _fields(zh)}, code
    assert not re.search(r"[\u4e00-\u9fff][,;:()]|[,;:(][\u4e00-\u9fff]", zh), code  # full-width punctuation


def test_errors_of_the_catalogue_keep_their_english_text() -> None:
    """The catalogue's English is what the code raised before it (tests and scripts match these texts)."""
    assert str(NotFound.of("no_account", credit_code="X", year=2023, profile_id="default")) \
        == "no published account of X for 2023 under profile 'default'"
    assert str(UsageError.of("bad_lang", what="--lang", lang="fr")) == "--lang 'fr': choose zh (中文) or en (English)"
    refused = UsageError.of("policy_number", what="cap_bp", low=0, high=500.0, value="x")
    assert str(refused) == "policy: cap_bp must be a number from 0 to 500, not 'x'"
    assert refused.message_zh == "定价政策：cap_bp 须为 0 到 500 之间的数，而不是 'x'"
    assert refused.code == "policy_number" and isinstance(refused, ValueError)
    assert error_text("role_of_org", org_id="B1", kind="bank", role="enterprise")[1] \
        == "机构 B1 是银行：其用户的角色为银行，而不是企业"


def test_the_command_line_prints_both_languages() -> None:
    assert report_text(Conflict.of("no_consent", consent_id=4)) == "refused: no consent 4\n没有授权 4"
    assert report_text(StoreUnavailable("the disk is full", "磁盘已满")) == "failed: the disk is full\n磁盘已满"
    # an error raised without a Chinese text (a defect the source test catches) still says its kind in Chinese
    assert report_text(NotFound("no such thing")) == "refused: no such thing\n" + ERRORS["not_found"][1]


# --- the API --------------------------------------------------------------------------------------------------


class Client:
    """Requests to the application in this process, through its whole middleware stack."""

    def __init__(self, store: Store) -> None:
        self.app, self.store = create_app(store), store

    def request(self, method: str, path: str, who: str | None = None, **kw: Any) -> httpx.Response:
        headers = {}
        if who is not None:
            principal = authenticate(self.store, username=who, password=PASSWORD)
            headers["Authorization"] = f"Bearer {issue_token(self.store, principal)[0]}"

        async def call() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://test") as c:
                return await c.request(method, path, headers=headers, **kw)

        return asyncio.run(call())


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Client:
    store = Store(tmp_path_factory.mktemp("errors") / "store")
    bootstrap_admin(store, username="admin", password=PASSWORD)
    create_organisation(store, org_id="BANK-A", kind="bank", name="Bank A")
    create_user(store, username="bank_a", password="correct horse battery", role="bank", org_id="BANK-A")
    return Client(store)


PASSWORD = "correct horse battery"


def _answer(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert body["code"] == code and body["detail"] and HAN.search(body["detail_zh"]), body
    return body


def test_api_404_403_409_and_422_carry_code_and_both_languages(client: Client) -> None:
    body = _answer(client.request("PATCH", "/api/v1/users/999", "admin", json={"active": False}), 404, "no_user")
    assert (body["detail"], body["detail_zh"]) == ("no user 999", "没有用户 999")
    body = _answer(client.request("GET", "/api/v1/users", "bank_a"), 403, "role_may_not")
    assert body["detail"] == "the bank role may not users.manage"
    assert body["detail_zh"] == "银行角色无权执行此操作（users.manage）"
    user = {"username": "bank_a", "password": "another long password", "role": "bank", "org_id": "BANK-A"}
    body = _answer(client.request("POST", "/api/v1/users", "admin", json=user), 409, "username_taken")
    assert (body["detail"], body["detail_zh"]) == ("user name bank_a is taken", "用户名 bank_a 已被占用")
    body = _answer(client.request("GET", "/api/v1/accounts/ABC/2023", "admin"), 422, "invalid_request")
    assert body["detail"] == "the request was refused: path parameter 'credit_code' does not have the expected form"
    assert body["detail_zh"] == "请求被拒绝：路径参数“credit_code”格式不符合要求"
    assert body["errors"][0]["loc"] == ["path", "credit_code"]
    body = _answer(client.request("GET", "/api/v1/accounts", "admin", params={"year": 1800}), 422, "invalid_request")
    assert body["detail_zh"] == "请求被拒绝：查询参数“year”须大于或等于 1901"
    _answer(client.request("GET", "/api/v1/me"), 401, "not_signed_in")
