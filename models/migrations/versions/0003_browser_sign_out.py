"""signing a coordinator's browsers out (the task page)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 23:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('coordinator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('browsers_signed_out_at', models.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('coordinator', schema=None) as batch_op:
        batch_op.drop_column('browsers_signed_out_at')
