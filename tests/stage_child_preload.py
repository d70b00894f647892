"""Imported once by the fork server of tests/stage_child.py: what a stage's run imports and
sets up (the flows, the command line, the lazy imports of a flow run, the ORM's mappers), so
that each child starts with it done."""
# ruff: noqa: F401

import fastapi.encoders  # Prefect serialises a flow's parameters with it
import prefect.client.orchestration
import prefect.flow_engine
import prefect.task_engine
import rich.progress
import sqlalchemy.orm

import flows.awards
import flows.launch
import flows.period
import flows.review
import flows.start
import flows.tally
import thidua.cli
import thidua.cli.stage
import thidua.documents.context
import thidua.documents.context_awards
import thidua.documents.context_decisions
import thidua.documents.pdf
import thidua.documents.store
import thidua.notify.channels
import thidua.notify.delivery
import thidua.stagework

sqlalchemy.orm.configure_mappers()
