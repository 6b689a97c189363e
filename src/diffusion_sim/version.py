"""The package version and the version of the model's semantics.

``SEMANTICS`` changes whenever the same inputs and seed would give different outputs
(a deliberate change of the model, with the golden runs regenerated in the same
commit). It is part of a sweep's identity, so a sweep started under one semantics is
never resumed or merged under another.
"""

__version__ = "0.1.0"
SEMANTICS = 1
