"""One router per resource, each with its URL prefix (under /api/v1), its tags and the error answers its
routes share; :data:`ROUTERS` is every one of them, in the order the OpenAPI document lists them."""

from __future__ import annotations

from fastapi import APIRouter

from dianta.api.routers import (
    accounts,
    admin,
    audit,
    auth,
    batches,
    consents,
    credit,
    enterprises,
    factors,
    finance,
    loans,
    parks,
    portfolio,
    programme,
    regional,
    reports,
)

ROUTERS: tuple[APIRouter, ...] = (
    auth.router, auth.me_router,
    admin.organisations_router, admin.users_router, admin.api_keys_router,
    batches.router, batches.quarantine_router, batches.corrections_router, batches.compute_router,
    accounts.router, accounts.years_router, accounts.exports_router, enterprises.router,
    reports.account_router, finance.what_if_router,
    consents.router,
    programme.statistics_router, programme.programme_router,
    loans.router, audit.router,
    reports.labels_router, reports.certificates_router, reports.reference_router, portfolio.router,
    finance.policies_router, finance.quotes_router, finance.interest_router, finance.financed_router,
    finance.alerts_router, credit.router,
    factors.router,
    parks.router,
    regional.router,
)
