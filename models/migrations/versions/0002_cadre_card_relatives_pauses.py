"""cadre card, relatives, pauses, retries, event cancel (issue: the cadre and the family)

Columns added to tables that may already hold rows get a server default, so an existing
database upgrades in place.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 17:13:21.436965
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cadre_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadre.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('cadre_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cadre_event_cadre_id'), ['cadre_id'], unique=False)

    op.create_table('cadre_pause',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('starts', sa.Date(), nullable=False),
    sa.Column('until', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadre.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('cadre_pause', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cadre_pause_cadre_id'), ['cadre_id'], unique=False)

    with op.batch_alter_table('apprise_target', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audience', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False, server_default='grid'))

    with op.batch_alter_table('chat_invite', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audience', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False, server_default='grid'))

    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('via', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True))

    with op.batch_alter_table('coverage_snapshot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('via_relative', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('paused', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('unreachable', sa.Integer(), nullable=False, server_default='0'))

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))

    with op.batch_alter_table('group_chat', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audience', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False, server_default='grid'))

    with op.batch_alter_table('relative', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phones', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('next_of_kin', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('in_group', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False, server_default='system'))
        batch_op.add_column(sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False, server_default=sa.func.current_timestamp()))
        batch_op.create_unique_constraint('uq_relative_cadre_name', ['cadre_id', 'name'])
        batch_op.drop_column('phone')

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))



def downgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('attempts')

    with op.batch_alter_table('relative', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.VARCHAR(length=40), nullable=True))
        batch_op.drop_constraint('uq_relative_cadre_name', type_='unique')
        batch_op.drop_column('created_at')
        batch_op.drop_column('created_by')
        batch_op.drop_column('in_group')
        batch_op.drop_column('next_of_kin')
        batch_op.drop_column('phones')

    with op.batch_alter_table('group_chat', schema=None) as batch_op:
        batch_op.drop_column('audience')

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_on')

    with op.batch_alter_table('coverage_snapshot', schema=None) as batch_op:
        batch_op.drop_column('unreachable')
        batch_op.drop_column('paused')
        batch_op.drop_column('via_relative')

    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_column('via')

    with op.batch_alter_table('chat_invite', schema=None) as batch_op:
        batch_op.drop_column('audience')

    with op.batch_alter_table('apprise_target', schema=None) as batch_op:
        batch_op.drop_column('audience')

    with op.batch_alter_table('cadre_pause', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cadre_pause_cadre_id'))

    op.drop_table('cadre_pause')
    with op.batch_alter_table('cadre_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cadre_event_cadre_id'))

    op.drop_table('cadre_event')
