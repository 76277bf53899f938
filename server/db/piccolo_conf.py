"""Piccolo's configuration module (PICCOLO_CONF points here): the engine comes from
DATABASE_URL, the same one the server uses."""

from piccolo.conf.apps import AppRegistry

from server.db.engine import make_engine
from server.settings import get_settings

DB = make_engine(get_settings().database_url)
APP_REGISTRY = AppRegistry(apps=["server.db.piccolo_app"])
