"""Partner data contracts as code (DESIGN.md §3)."""

from .model import Contract, Field, WireSpec
from .registry import CONTRACTS, PARTNERS, contracts_of, get_contract

__all__ = ["CONTRACTS", "PARTNERS", "Contract", "Field", "WireSpec", "contracts_of", "get_contract"]
