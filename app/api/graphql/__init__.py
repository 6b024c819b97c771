"""GraphQL beside REST at ``/api/graphql``: the same figures, arguments, tokens and guarantees.

``declared`` generates the types from the data layer's declarations, ``schema`` resolves each root
field with the calls the REST route makes, ``view`` mounts strawberry's Flask view in the ``/api``
blueprint. Importing this package registers the endpoint (like ``app.api.routes``).
"""

from app.api.graphql import view  # noqa: F401  (importing registers the endpoint)
