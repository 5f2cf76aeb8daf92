"""attackdb: MITRE ATT&CK® for Python, fast.

``from attackdb import MitreAttackData`` is a drop-in for mitreattack-python 6.3.1's class (same
constructor, methods, parameters, defaults and results), answering from attackdb's Rust engine:
a load takes a fraction of a second, a ``get_all_*`` map milliseconds.

``attackdb.Kb`` opens several domains and releases at once (``Kb.open()`` reads the data home that
``attackdb data fetch`` fills) and answers attackdb's own questions with plain Python data.
"""

from ._objects import StixDict, StixObject
from ._mitre import MitreAttackData, RelationshipEntry
from ._kb import RELATIONS, AttackdbNote, Kb, data_home
from ._pandas import to_pandas

__all__ = ["MitreAttackData", "RelationshipEntry", "Kb", "AttackdbNote", "StixObject", "StixDict", "data_home", "to_pandas", "RELATIONS"]
__version__ = "0.1.0"
