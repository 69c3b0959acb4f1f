"environment.yml (conda) and settings.ini (pip) must list the same packages at the same versions."
from configparser import ConfigParser
from pathlib import Path
import yaml

ROOT = Path(__file__).resolve().parent.parent

def settings_requirements():
    c = ConfigParser(delimiters=['=']); c.read(ROOT / 'settings.ini')
    d = c['DEFAULT']
    return sorted(d.get('requirements', '').split() + d.get('dev_requirements', '').split())

def conda_pip_requirements():
    env = yaml.safe_load((ROOT / 'environment.yml').read_text())
    pips = [x['pip'] for x in env['dependencies'] if isinstance(x, dict) and 'pip' in x]
    assert len(pips) == 1, "environment.yml needs exactly one pip: section"
    return sorted(r for r in pips[0] if r != '-e .')

def test_environment_matches_settings():
    assert conda_pip_requirements() == settings_requirements()

def test_python_versions_agree():
    env = yaml.safe_load((ROOT / 'environment.yml').read_text())
    c = ConfigParser(delimiters=['=']); c.read(ROOT / 'settings.ini')
    assert f"python={c['DEFAULT']['min_python']}" in env['dependencies']

def test_every_requirement_is_pinned():
    assert all('==' in r for r in settings_requirements()), "pin every requirement (reproducible study)"
