"""Arms purchases and transfers: buyer, seller (or supplier) and system.

A trigger pattern of the lexicon may name a ``transfer`` role (``verbs.yaml`` /
``nouns.yaml``): ``buy`` ("bought", "ordered", "acquired", "the purchase of"), ``sell``
("sold", "exported", "the sale of ... to"), ``give`` ("delivered", "supplied",
"transferred", "the delivery of") or ``receive`` ("received", "got"). When the event
carries a weapon or platform object (an object whose category's class is ``weapon`` or
``platform``; programmes are not traded), it is coded as an arms transfer:

=========  =====================  ========  =============================================
role       PLOVER                 CAMEO     actor -> recipient
=========  =====================  ========  =============================================
buy        COOPERATE, military    062       buyer -> seller
sell       COOPERATE, military    062       seller -> buyer
give       AID, military          072       supplier -> receiver
receive    AID, military          072       supplier -> receiver (the pattern reverses)
=========  =====================  ========  =============================================

An approval or signature whose content is a transfer ("approved the sale of F-16s to
Taiwan", "signed a deal to buy Rafale jets from France") is coded as that transfer; an
intention ("agreed to sell", "will deliver") is AGREE with CAMEO 0312 (intent to cooperate
militarily) or 0332 (intent to provide military aid), as PLOVER codes future cooperation.
A deployment verb ("sent tanks to ...", MOBILIZE) counts as a transfer only when its
recipient is another state.

When the text names no seller or supplier, it is inferred from the objects' origin
(:attr:`detente.objects.ObjectEntry.sole_origin`: one producing country shared by all the
specific systems, none for class words or multinational systems) unless that is the buyer's
own country. The inferred entity is marked: it has no surface text or offsets and its
``kb_key`` is ``inferred:<object kb_key>`` (:attr:`detente.records.Entity.inferred`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .objects import object_entry
from .records import INFERRED_PREFIX, Entity, EventObject

TRANSFER_ROLES = frozenset({"buy", "sell", "give", "receive"})
"""The values of a lexicon pattern's ``transfer`` field."""

APPROVAL_TYPES = frozenset({"SUPPORT"})
"""Outer event types that become the transfer they approve or sign."""

_CODES = {"buy": ("COOPERATE", "062"), "sell": ("COOPERATE", "062"),
          "give": ("AID", "072"), "receive": ("AID", "072")}
INTENT_CAMEO = {"COOPERATE": "0312", "AID": "0332"}
"""CAMEO codes of an intended arms transfer (coded AGREE)."""


@dataclass(frozen=True, slots=True)
class Transfer:
    """How an event is recoded as an arms transfer."""

    event: str
    cameo: str
    actor: tuple[Entity, ...]
    recipient: tuple[Entity, ...]
    inferred: bool = False
    """Whether the seller/supplier was inferred from the system's origin."""


def arms_objects(objects: Sequence[EventObject], kb: Any) -> list[EventObject]:
    """The objects that can be traded: weapons and platforms, not programmes (an object
    from no loaded knowledge entry counts unless its category is ``programme``)."""
    akb = getattr(kb, "actors", kb)
    out = []
    for o in objects:
        entry = object_entry(akb, o)
        if (entry.cls in ("weapon", "platform")) if entry is not None \
                else o.category != "programme":
            out.append(o)
    return out


def inferred_origin(objects: Sequence[EventObject], kb: Any, *,
                    exclude: Sequence[Entity] = ()) -> Entity | None:
    """The seller implied by the systems: their one shared producing country, as an
    inferred entity, or None (class words, multinational systems, several origins, or
    the buyer's own country)."""
    akb = getattr(kb, "actors", kb)
    origins: dict[str, EventObject] = {}
    for o in objects:
        entry = object_entry(akb, o)
        if entry is None or entry.generic:
            continue
        code = entry.sole_origin
        if not code:
            return None
        origins.setdefault(code, o)
    if len(origins) != 1:
        return None
    code, obj = next(iter(origins.items()))
    if any(e.code == code for e in exclude):
        return None
    country = akb.country(code) if hasattr(akb, "country") else None
    return Entity(code=code, name=country.name if country is not None else code,
                  kb_key=f"{INFERRED_PREFIX}{obj.kb_key}", cameo=code)


def code_transfer(role: str, *, event: str, actor: tuple[Entity, ...],
                  recipient: tuple[Entity, ...], objects: Sequence[EventObject],
                  kb: Any) -> Transfer | None:
    """The arms-transfer coding of an event whose pattern (or approved content) has the
    transfer ``role``, or None when it carries no weapon or platform."""
    if role not in TRANSFER_ROLES:
        return None
    arms = arms_objects(objects, kb)
    if not arms:
        return None
    if event == "MOBILIZE":  # "sent tanks to X": aid only when X is another state
        own = {e.code for e in actor}
        if not any(len(e.code) == 3 and e.code not in own and kb_is_country(kb, e.code)
                   for e in recipient):
            return None
    etype, cameo = _CODES[role]
    inferred = False
    if role == "buy" and not recipient:
        seller = inferred_origin(arms, kb, exclude=actor)
        if seller is not None:
            recipient, inferred = (seller,), True
    elif role == "receive" and not actor:
        supplier = inferred_origin(arms, kb, exclude=recipient)
        if supplier is not None:
            actor, inferred = (supplier,), True
    return Transfer(etype, cameo, actor, recipient, inferred)


def kb_is_country(kb: Any, code: str) -> bool:
    akb = getattr(kb, "actors", kb)
    return hasattr(akb, "country") and akb.country(code) is not None
