"""The GraphQL documents swansync sends to W&B (written for swansync from the field list in
docs/protocols/wandb-public-api.md, section 4; the operation names are the SDK's where the read
is the same, so server logs and the simulator's counters read alike).

Only fields the public API serves are asked for: a W&B server rejects a document naming a field
it lacks, so a new field here must be checked against the protocol notes first.
"""

from __future__ import annotations

PROJECT_FIELDS = """
fragment ProjectFields on Project {
  id internalId name entityName createdAt description runCount
}
"""

RUN_FIELDS = """
fragment RunFields on Run {
  id name displayName state config summaryMetrics systemMetrics createdAt heartbeatAt
  tags group jobType sweepName commit notes host
  user { username name }
  historyLineCount historyKeys
}
"""

GET_PROJECT = (
    """
query GetProject($entity: String!, $name: String!) {
  project(name: $name, entityName: $entity) { ...ProjectFields }
}
"""
    + PROJECT_FIELDS
)

# One request answers both "does the entity exist" and the first page of its projects: W&B's
# ``models`` of an unknown entity is an empty list, not an error.
GET_PROJECTS = (
    """
query GetProjects($entity: String!, $cursor: String, $perPage: Int) {
  entity(name: $entity) { id }
  models(entityName: $entity, after: $cursor, first: $perPage) {
    edges { cursor node { ...ProjectFields } }
    pageInfo { endCursor hasNextPage }
  }
}
"""
    + PROJECT_FIELDS
)

RUNS = (
    """
query Runs($entity: String!, $project: String!, $cursor: String, $perPage: Int,
           $order: String, $filters: JSONString) {
  project(name: $project, entityName: $entity) {
    runs(filters: $filters, after: $cursor, first: $perPage, order: $order) {
      edges { cursor node { ...RunFields } }
      pageInfo { endCursor hasNextPage }
    }
  }
}
"""
    + RUN_FIELDS
)

# ``history(minStep, maxStep, samples)``: the rows with minStep <= _step < maxStep (EXCLUSIVE
# upper bound), each a JSON string; unsampled while the window holds at most ``samples`` rows.
HISTORY_PAGE = """
query HistoryPage($entity: String!, $project: String!, $run: String!,
                  $minStep: Int64!, $maxStep: Int64!, $pageSize: Int!) {
  project(name: $project, entityName: $entity) {
    run(name: $run) { history(minStep: $minStep, maxStep: $maxStep, samples: $pageSize) }
  }
}
"""

# The system-metrics stream has no step window: one read of up to ``samples`` events.
RUN_EVENTS = """
query RunEvents($entity: String!, $project: String!, $run: String!, $samples: Int!) {
  project(name: $project, entityName: $entity) { run(name: $run) { events(samples: $samples) } }
}
"""

# A run's files by name (the SDK's ``RunFiles``): ``directUrl`` is a signed storage URL that
# needs no credentials (``url`` is the API's, which does); ``names`` picks files, unknown names
# are left out of the answer.
RUN_FILES = """
query RunFiles($entity: String!, $project: String!, $run: String!, $names: [String],
               $cursor: String, $perPage: Int) {
  project(name: $project, entityName: $entity) {
    run(name: $run) {
      files(names: $names, after: $cursor, first: $perPage) {
        edges { cursor node { name directUrl sizeBytes } }
        pageInfo { endCursor hasNextPage }
      }
    }
  }
}
"""
