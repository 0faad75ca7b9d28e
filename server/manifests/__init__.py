"""Manifests of the mail add-ins, generated from one description each (`flask --app server manifest …`).

outlook.py describes the Outlook add-in; outlook_xml.py and outlook_json.py render its
two manifests; icons.py draws the app package's icons; package.py writes the files.
Nothing here imports Flask or touches the network.
"""
