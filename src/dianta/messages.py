"""The catalogue of Dianta's errors: each ``code`` with its English and Chinese template (issue 17 item 5).

The pattern is the findings catalogue's (:data:`dianta.findings.MESSAGES`): ``code -> (English, Chinese)``, the
``{placeholders}`` filled from the values the error is raised with (``NotFound.of("no_user", user_id=7)``; the same
placeholders in both languages, held by tests/test_error_catalogue.py). The API answers an error with its ``code``,
``detail`` (English) and ``detail_zh``; the command line prints both texts. The first block gives each error class's
own code: what its answer means when nothing more precise is said (a 422 of FastAPI's validation, a 413, …).
Chinese texts use full-width punctuation (tests/test_chinese_text.py).
"""

from __future__ import annotations

#: what a batch that lost a race is told (dianta.ledger.lake.RESEND), in English; the Chinese texts say it in words
RESEND = "nothing of this batch was applied: send it again"
#: the roles and organisation kinds (dianta.security.principal.ROLES) in Chinese: ``{role_zh}``, ``{kind_zh}``
ROLE_ZH = {"operator": "运营方", "bank": "银行", "enterprise": "企业", "regulator": "监管部门", "park": "园区管理机构"}

# code -> (English, Chinese)
ERRORS: dict[str, tuple[str, str]] = {
    # --- each error class's own code (dianta.errors) and the answers of the HTTP layer ---------------------------
    "error": ("the request cannot be carried out", "请求无法执行"),
    "usage": ("the command or request was given wrongly", "命令或请求的写法有误"),
    "input_refused": ("the input was refused: every problem is listed", "输入被拒绝：已列出每个问题"),
    "reference_data": ("a methodology profile, factor table or code table is missing or malformed",
                       "方法学配置、因子表或代码表缺失或格式有误"),
    "missing_factor": ("no emission factor for this kind and area in or before the activity year",
                       "活动年份及之前没有该类别和地区的排放因子"),
    "store": ("the store cannot be opened or is inconsistent", "存储无法打开或数据不一致"),
    "store_unavailable": ("the store cannot be used now; try again once the cause is gone",
                          "存储暂时无法使用；原因消除后请重试"),
    "ledger_busy": ("the ledger is busy; try again shortly", "账本繁忙，请稍后重试"),
    "ledger_unreachable": ("the ledger's server cannot be reached; try again shortly",
                           "无法连接账本服务器，请稍后重试"),
    "disk_full": ("no space left where the store writes", "存储所在磁盘空间已满"),
    "storage_failure": ("a disk of the store failed or may not be written", "存储所在磁盘出错或不可写"),
    "engine_unavailable": ("the computing engine cannot be used now", "计算引擎暂时无法使用"),
    "lake_corrupt": ("a file of the data lake is missing or damaged", "数据湖中有文件缺失或已损坏"),
    "not_authenticated": ("not authenticated: log in or send an X-API-Key header",
                          "未认证：请登录或发送 X-API-Key 请求头"),
    "forbidden": ("the caller's role or organisation may not do this", "调用方的角色或机构无权执行此操作"),
    "not_found": ("not found, or not the caller's to know of", "不存在，或调用方无权知道其存在"),
    "conflict": ("the request conflicts with the ledger's state; send it again",
                 "请求与账本的当前状态冲突，请重新发送"),
    "too_many_attempts": ("too many failed attempts; wait before trying again", "尝试失败次数过多，请稍后再试"),
    "too_large": ("the request is larger than {limit}; {advice}", "请求超过 {limit}；{advice}"),
    "bad_characters": ("the request holds characters or values the ledger cannot store (such as a NUL character); "
                       "correct them", "请求中含有账本无法保存的字符或数值（如 NUL 字符）；请更正"),
    "invalid_request": ("the request was refused: {fields}", "请求被拒绝：{fields}"),
    # --- signing in (security/tokens.py, security/apikeys.py, security/users.py, api/deps.py) ---------------------
    "not_signed_in": ("not authenticated: log in at /api/v1/auth/token or send an X-API-Key header",
                      "未认证：请在 /api/v1/auth/token 登录，或发送 X-API-Key 请求头"),
    "login_failed": ("wrong user name or password, or the user is deactivated", "用户名或密码错误，或该用户已停用"),
    "invalid_api_key": ("invalid or revoked API key", "API 密钥无效或已吊销"),
    "no_token": ("no token", "未提供令牌"),
    "invalid_token": ("invalid token", "令牌无效"),
    "token_expired": ("the token has expired; log in again", "令牌已过期，请重新登录"),
    "token_revoked": ("the token has been revoked; log in again", "令牌已被吊销，请重新登录"),
    "token_user_gone": ("the token's user is deactivated or no longer exists", "令牌所属用户已停用或不存在"),
    "token_before_deactivation": ("the token was issued before its user was deactivated; log in again",
                                  "该令牌签发于用户停用之前，请重新登录"),
    "user_gone": ("the user no longer exists", "该用户已不存在"),
    "token_needs_user": ("tokens are issued to users; this principal has no user id",
                         "令牌只签发给用户；此身份没有用户编号"),
    "token_lifetime": ("a token's lifetime must be positive", "令牌的有效期必须为正数"),
    "too_many_failures": ("too many {what} {whom}; wait {seconds} s before trying again",
                          "{what_zh}次数过多（{whom_zh}）；请等待 {seconds} 秒后重试"),
    # --- authorisation (security/authz.py) ------------------------------------------------------------------------
    "unknown_action": ("unknown action {action}", "未知操作 {action}"),
    "role_may_not": ("the {role} role may not {action}", "{role_zh}角色无权执行此操作（{action}）"),
    "enterprise_own_only": ("an enterprise may only see and manage its own account", "企业只能查看和管理自己的账户"),
    "bank_own_only": ("a bank may only see and record its own records", "银行只能查看和录入本行的记录"),
    "park_own_only": ("a park organisation may only see its own park", "园区管理机构只能查看本园区"),
    "no_live_consent": ("no live consent of scope {scopes} from enterprise {credit_code} to {role} {org_id}",
                        "企业 {credit_code} 未向{role_zh} {org_id} 授予有效的授权（范围 {scopes}）"),
    "keys_for_yourself": ("keys are created and revoked for yourself unless you are the operator",
                          "除运营方外，只能为自己创建和吊销密钥"),
    # --- users, organisations, API keys, consents -----------------------------------------------------------------
    "bad_username": ("user name {username!r} must be 3–64 characters of A–Z, a–z, 0–9, _ . @ -",
                     "用户名 {username!r} 须为 3–64 个字符，只能包含 A–Z、a–z、0–9 及 _ . @ -"),
    "short_password": ("a password needs at least {length} characters", "密码至少需要 {length} 个字符"),
    "bad_role": ("{what} {value!r} is not one of {roles}", "{what} {value!r} 不是以下之一：{roles}"),
    "bad_org_id": ("organisation id {org_id!r} must be 1–64 characters of A–Z, a–z, 0–9, _ . - starting with a "
                   "letter or digit",
                   "机构编号 {org_id!r} 须为 1–64 个字符（A–Z、a–z、0–9 及 _ . -），以字母或数字开头"),
    "org_needs_name": ("an organisation needs a name", "机构需要名称"),
    "org_exists": ("organisation {org_id} exists", "机构 {org_id} 已存在"),
    "credit_code_taken": ("credit code {credit_code} already belongs to organisation {holder}",
                          "统一社会信用代码 {credit_code} 已属于机构 {holder}"),
    "org_identity_taken": ("organisation {org_id}, credit code {credit_code} or park {park_id} exists",
                           "机构 {org_id}、统一社会信用代码 {credit_code} 或园区 {park_id} 已存在"),
    "enterprise_needs_code": ("an enterprise organisation needs its unified social credit code (--credit-code)",
                              "企业机构需要其统一社会信用代码（--credit-code）"),
    "bad_org_credit_code": ("{credit_code!r} is not a valid unified social credit code (GB 32100)",
                            "{credit_code!r} 不是有效的统一社会信用代码（GB 32100）"),
    "code_for_enterprises": ("only enterprise organisations have a credit code, not a {kind}",
                             "只有企业机构有统一社会信用代码，{kind_zh}没有"),
    "no_organisation": ("no organisation {org_id}", "没有机构 {org_id}"),
    "role_of_org": ("organisation {org_id} is a {kind}: its users have role {kind}, not {role}",
                    "机构 {org_id} 是{kind_zh}：其用户的角色为{kind_zh}，而不是{role_zh}"),
    "username_taken": ("user name {username} is taken", "用户名 {username} 已被占用"),
    "no_user": ("no user {user_id}", "没有用户 {user_id}"),
    "operator_exists": ("an operator user exists already ({existing}); operators add users with "
                        "`dianta admin user-add`",
                        "已有运营方用户（{existing}）；运营方用 `dianta admin user-add` 添加用户"),
    "operator_org_kind": ("organisation {org_id} exists and is a {kind}, not the operator",
                          "机构 {org_id} 已存在且为{kind_zh}，不是运营方"),
    "key_label": ("an API key needs a label of 1–200 characters (what uses it)",
                  "API 密钥需要 1–200 个字符的标签（说明由谁使用）"),
    "user_deactivated": ("user {user_id} is deactivated", "用户 {user_id} 已停用"),
    "no_api_key": ("no API key {key_id}", "没有 API 密钥 {key_id}"),
    "key_revoked_already": ("API key {key_id} is revoked already", "API 密钥 {key_id} 已被吊销"),
    "key_needs_user": ("an API key belongs to a user: name one with user_id",
                       "API 密钥属于某个用户：请用 user_id 指定"),
    "bad_scope": ("scope {scope!r} is not one of {scopes}", "授权范围 {scope!r} 不是以下之一：{scopes}"),
    "bad_expiry": ("expires_on {expires_on!r} is not an ISO date (YYYY-MM-DD)",
                   "expires_on {expires_on!r} 不是 ISO 日期（YYYY-MM-DD）"),
    "expiry_past": ("expires_on {expires_on} is in the past", "expires_on {expires_on} 已经过去"),
    "no_enterprise_in_ledger": ("no enterprise {credit_code} in the ledger", "账本中没有企业 {credit_code}"),
    "no_consent": ("no consent {consent_id}", "没有授权 {consent_id}"),
    "consent_revoked_already": ("consent {consent_id} was revoked already, at {revoked_at} by {revoked_by}",
                                "授权 {consent_id} 已于 {revoked_at} 被 {revoked_by} 撤销"),
    "consent_needs_enterprise": ("name the enterprise (credit_code) the consent is granted for",
                                 "请指明授权所针对的企业（credit_code）"),
    # --- accounts, reports, labels ---------------------------------------------------------------------------------
    "no_account": ("no published account of {credit_code} for {year} under profile '{profile_id}'",
                   "企业 {credit_code} 在方法学配置“{profile_id}”下没有已发布的 {year} 年账户"),
    "no_account_any_year": ("no published account of {credit_code} under profile '{profile_id}'",
                            "企业 {credit_code} 在方法学配置“{profile_id}”下没有已发布的账户"),
    "no_enterprise": ("no enterprise {credit_code}", "没有企业 {credit_code}"),
    "newer_accounts": ("accounts of {year} computed from newer data (batches up to {newest}) were published while "
                       "this computation ran on batches up to {last_batch_id}; nothing of it was published, the "
                       "newer accounts stand",
                       "本次计算（基于截至批次 {last_batch_id} 的数据）运行期间，已发布了基于更新数据"
                       "（截至批次 {newest}）的 {year} 年账户；本次结果未发布，以较新的账户为准"),
    "computed_same_moment": ("another computation of {year} was published at the same moment; nothing of this "
                             "one was published: run it again",
                             "另一次 {year} 年的计算在同一时刻发布；本次结果未发布：请重新运行"),
    "export_format": ("--format {fmt} is not one of json, csv, xlsx", "--format {fmt} 不是 json、csv、xlsx 之一"),
    "bad_label_code": ("'{code}' is not a label verification code: it has 16 letters A–Z and digits 2–7, written "
                       "XXXX-XXXX-XXXX-XXXX as printed on the label",
                       "“{code}”不是标识验证码：验证码由 16 位字母 A–Z 和数字 2–7 组成，"
                       "按标识上印的 XXXX-XXXX-XXXX-XXXX 书写"),
    "not_rated": ("the account of {credit_code} for {year} is not rated, so it has no label",
                  "企业 {credit_code} 的 {year} 年账户未评级，因此没有标识"),
    "run_missing": ("the run {run_id} that computed this account is missing from the ledger",
                    "账本中缺少计算该账户的运行记录 {run_id}"),
    "bad_lang": ("{what} {lang!r}: choose zh (中文) or en (English)",
                 "{what} {lang!r}：请选择 zh（中文）或 en（English）"),
    "unknown_engine": ("unknown engine '{name}'; choose one of: {engines}",
                       "未知的计算引擎“{name}”；请选择：{engines}"),
    # --- finance ---------------------------------------------------------------------------------------------------
    "name_the_bank": ("name the bank: bank_id=…", "请指明银行：bank_id=…"),
    "no_loan": ("no loan {loan_id}", "没有贷款 {loan_id}"),
    "no_park": ("no park {park_id}", "没有园区 {park_id}"),
    "bank_has_no_loan": ("bank {bank_id} has no loan {loan_id}", "银行 {bank_id} 没有贷款 {loan_id}"),
    "no_bank": ("no bank organisation {bank_id}", "没有银行机构 {bank_id}"),
    "no_policy": ("bank {bank_id} has no pricing policy in effect on {on}; save one first",
                  "银行 {bank_id} 在 {on} 没有生效的定价政策；请先保存一项"),
    "no_policy_version": ("bank {bank_id} has no pricing policy version {version}",
                          "银行 {bank_id} 没有第 {version} 版定价政策"),
    "policy_same_moment": ("another version of this bank's policy was saved at the same moment; try again",
                           "本行定价政策的另一版本在同一时刻保存；请重试"),
    "policy_number": ("policy: {what} must be a number from {low:g} to {high:g}, not {value!r}",
                      "定价政策：{what} 须为 {low:g} 到 {high:g} 之间的数，而不是 {value!r}"),
    "policy_object": ("policy: give an object with name, effective_from, cap_bp, grade_discount_bp",
                      "定价政策：请提供包含 name、effective_from、cap_bp、grade_discount_bp 的对象"),
    "policy_unknown_fields": ("policy: unknown field(s) {unknown}; allowed: {allowed}",
                              "定价政策：未知字段 {unknown}；允许的字段：{allowed}"),
    "policy_name": ("policy: name must be text of 1 to 100 characters", "定价政策：name 须为 1 到 100 个字符的文本"),
    "policy_date": ("policy: effective_from must be a date YYYY-MM-DD, not {value!r}",
                    "定价政策：effective_from 须为 YYYY-MM-DD 格式的日期，而不是 {value!r}"),
    "policy_grades": ("policy: grade_discount_bp must map grades 1–5 to a discount in bp, e.g. {{\"1\": 60}}",
                      "定价政策：grade_discount_bp 须将等级 1–5 对应到以基点计的优惠，如 {{\"1\": 60}}"),
    "policy_grade": ("policy: grade_discount_bp has grade {grade!r}; grades are 1 to 5",
                     "定价政策：grade_discount_bp 含有等级 {grade!r}；等级为 1 到 5"),
    "policy_score_link": ("policy: score_link has base_score and bp_per_point",
                          "定价政策：score_link 包含 base_score 和 bp_per_point"),
    "policy_eligibility": ("policy: eligibility has no_discount_with_alerts and require_current_account",
                           "定价政策：eligibility 包含 no_discount_with_alerts 和 require_current_account"),
    "policy_alerts": ("policy: no_discount_with_alerts lists alert codes among {codes}",
                      "定价政策：no_discount_with_alerts 只能列出以下预警代码：{codes}"),
    "policy_current": ("policy: require_current_account is true or false",
                       "定价政策：require_current_account 须为 true 或 false"),
    "whatif_profile": ("the account was computed with profile '{profile_id}', which is not shipped: what-if needs "
                       "the profile's tables",
                       "该账户使用的方法学配置“{profile_id}”未随软件提供：情景测算需要该配置的表"),
    # --- batches, the lake, the ledger -----------------------------------------------------------------------------
    "not_a_folder": ("{folder} is not a folder; give the folder that holds the batch's files",
                     "{folder} 不是文件夹；请给出存放本批次文件的文件夹"),
    "batch_refused": ("batch {folder} refused: nothing was applied", "批次 {folder} 被拒绝：未写入任何数据"),
    "batch_unreadable": ("batch {folder} refused: its files cannot be read as the data requirement table",
                         "批次 {folder} 被拒绝：其文件无法按数据需求表读取"),
    "file_unreadable": ("{file} cannot be read as the data requirement table", "{file} 无法按数据需求表读取"),
    "changed_meanwhile": ("batch {other} changed {tables} while this one was checked against them; " + RESEND,
                          "本批次校验期间，批次 {other} 修改了 {tables}；本批次未写入任何数据：请重新发送"),
    "same_rows_meanwhile": ("another batch wrote the same rows while this one was applied; " + RESEND,
                            "本批次写入期间另一批次写入了相同的行；本批次未写入任何数据：请重新发送"),
    "lake_changed_meanwhile": ("another batch changed {table} of {month} while this one was applied; " + RESEND,
                               "本批次写入期间另一批次修改了 {month} 的 {table}；本批次未写入任何数据：请重新发送"),
    "no_batch": ("no batch {batch_id}", "没有批次 {batch_id}"),
    "no_open_quarantine": ("batch {batch_id} has no open quarantined rows; `dianta quarantine list` shows them",
                           "批次 {batch_id} 没有待处理的隔离行；`dianta quarantine list` 可列出隔离行"),
    "cannot_open_ledger": ("cannot open the ledger of {display}: {reason}", "无法打开 {display} 的账本：{reason}"),
}


def error_text(code: str, /, **values: object) -> tuple[str, str]:
    """The English and Chinese message of catalogue entry ``code`` filled from ``values`` (a value named ``x_zh``
    fills the Chinese ``{x_zh}``; the English template takes ``x``; a role or an organisation kind fills
    ``{role_zh}`` or ``{kind_zh}`` by itself, from :data:`ROLE_ZH`)."""
    en, zh = ERRORS[code]
    named = {f"{k}_zh": ROLE_ZH.get(str(values[k]), values[k]) for k in ("role", "kind") if k in values}
    return en.format(**values), zh.format(**{**named, **values})
