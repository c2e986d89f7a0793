"""FastAPI dependencies: what a route needs, taken from the app's state (made once from the
Settings in create_app). Routes declare these instead of reading globals, and tests replace
them through `app.dependency_overrides`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..drafting.models import ModelClient
from ..playbook import Playbook
from ..settings import Settings

__all__ = ["SettingsDep", "PlaybookDep", "ModelsDep"]


def settings(request: Request) -> Settings:
    return request.app.state.settings


def playbook(request: Request) -> Playbook:
    return request.app.state.playbook


def models(request: Request) -> ModelClient | None:
    return request.app.state.models


SettingsDep = Annotated[Settings, Depends(settings)]
PlaybookDep = Annotated[Playbook, Depends(playbook)]
ModelsDep = Annotated["ModelClient | None", Depends(models)]
