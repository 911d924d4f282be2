#!/usr/bin/env python3
"""Writes the interop fixtures under docs/examples/interop/ (deterministic).

The shapes follow the vendors' public documentation: ServiceNow's Table API
(`GET /api/now/table/incident` returns `{"result": [...]}`, every value a
string, references as `{"link", "value"}`, `sysparm_display_value=all` gives
`{"display_value", "value"}`), Jira's `GET /rest/api/2/search` result, and the
TMF621 v4/v5 and TMF639 examples. Run it from the repository root:

    python3 docs/examples/interop/generate.py
"""
import hashlib
import json
import os

ROOT = os.path.dirname(os.path.abspath(__file__))
INSTANCE = "https://acme.service-now.com"


def sys_id(text):
    return hashlib.md5(text.encode()).hexdigest()


def ref(table, key):
    return {"link": f"{INSTANCE}/api/now/table/{table}/{key}", "value": key}


USERS = ["abel.tuter", "beth.anglin", "david.loo", "fred.luddy", "itil", "don.goodliffe",
         "bud.richman", "charlie.whitherspoon"]
GROUPS = ["Service Desk", "Network", "Database", "Hardware", "Software"]
CATEGORIES = [("network", "vpn"), ("software", "email"), ("hardware", "laptop"),
              ("database", "oracle"), ("inquiry", "")]
SHORT = ["VPN drops every 10 minutes", "Outlook cannot connect to Exchange",
         "Laptop battery swollen", "ORA-00060 deadlocks on payroll", "How do I reset my MFA?",
         "Printer on floor 3 jams", "SAP login slow", "Wi-Fi in meeting room B down",
         "Teams calls drop", "Disk full on build server"]
# (state, hold_reason, close_code)
STATES = [("1", "", ""), ("2", "", ""), ("3", "1", ""), ("3", "4", ""), ("3", "5", ""),
          ("3", "3", ""), ("6", "", "Solution provided"), ("7", "", "Workaround provided"),
          ("7", "", "Solved (Permanently)"), ("8", "", ""), ("6", "", "Resolved by caller"),
          ("2", "", "")]
CONTACT = ["phone", "email", "self-service", "chat", "walk-in", "virtual_agent"]


def ts(day, hour, minute=0):
    return f"2026-03-{day:02d} {hour:02d}:{minute:02d}:00"


def incident(i):
    state, hold, close = STATES[i % len(STATES)]
    cat, sub = CATEGORIES[i % len(CATEGORIES)]
    impact = str(1 + i % 3)
    urgency = str(1 + (i // 3) % 3)
    priority = str(min(5, int(impact) + int(urgency) - 1))
    day = 1 + i % 27
    caller = USERS[i % len(USERS)]
    rec = {
        "parent": "",
        "made_sla": "true" if i % 4 else "false",
        "caused_by": "",
        "watch_list": "",
        "upon_reject": "cancel",
        "sys_updated_on": ts(day, 17, i % 60),
        "child_incidents": "0",
        "hold_reason": hold,
        "approval_history": "",
        "number": f"INC00{10000 + i}",
        "resolved_by": "",
        "sys_updated_by": "admin",
        "opened_by": ref("sys_user", sys_id("user:itil")),
        "user_input": "",
        "sys_created_on": ts(day, 8, i % 60),
        "sys_domain": ref("sys_user_group", "global"),
        "state": state,
        "sys_created_by": "itil",
        "knowledge": "false",
        "order": "",
        "calendar_stc": "",
        "closed_at": "",
        "cmdb_ci": ref("cmdb_ci", sys_id(f"ci:{i % 7}")) if i % 3 else "",
        "delivery_plan": "",
        "contract": "",
        "impact": impact,
        "active": "false" if state in ("7", "8") else "true",
        "work_notes_list": "",
        "business_service": ref("cmdb_ci_service", sys_id("service:email")) if cat == "software" else "",
        "priority": priority,
        "sys_domain_path": "/",
        "rfc": ref("change_request", sys_id(f"change:{i}")) if hold == "5" else "",
        "time_worked": "",
        "expected_start": "",
        "opened_at": ts(day, 8, i % 60),
        "business_duration": "",
        "group_list": "",
        "work_end": "",
        "caller_id": ref("sys_user", sys_id(f"user:{caller}")),
        "reopened_time": "",
        "resolved_at": "",
        "approval_set": "",
        "subcategory": sub,
        "work_notes": "",
        "short_description": SHORT[i % len(SHORT)],
        "close_code": close,
        "correlation_display": "",
        "delivery_task": "",
        "work_start": "",
        "assignment_group": ref("sys_user_group", sys_id(f"group:{GROUPS[i % len(GROUPS)]}")),
        "additional_assignee_list": "",
        "business_stc": "",
        "description": f"{SHORT[i % len(SHORT)]}. Reported by {caller} on {ts(day, 8)}.",
        "calendar_duration": "",
        "close_notes": "",
        "notify": "1",
        "sys_class_name": "incident",
        "closed_by": "",
        "follow_up": "",
        "parent_incident": "",
        "sys_id": sys_id(f"incident:{i}"),
        "contact_type": CONTACT[i % len(CONTACT)],
        "reopened_by": "",
        "incident_state": state,
        "urgency": urgency,
        "problem_id": ref("problem", sys_id("problem:1")) if hold == "3" else "",
        "company": ref("core_company", sys_id("company:acme")),
        "reassignment_count": str(i % 3),
        "activity_due": "",
        "assigned_to": ref("sys_user", sys_id(f"user:{USERS[(i + 3) % len(USERS)]}")) if state != "1" else "",
        "severity": "3",
        "comments": "",
        "approval": "not requested",
        "sla_due": "",
        "comments_and_work_notes": "",
        "due_date": "",
        "sys_mod_count": str(2 + i % 9),
        "reopen_count": "1" if i % 17 == 5 else "0",
        "sys_tags": "",
        "escalation": "0",
        "upon_approval": "proceed",
        "correlation_id": "",
        "location": ref("cmn_location", sys_id("location:london")),
        "category": cat,
        # The instance's own fields.
        "u_vendor_ticket": f"CISCO-{55000 + i}" if hold == "4" else "",
        "u_business_unit": ["Retail", "Finance", "HR"][i % 3],
    }
    if state in ("6", "7"):
        rec["resolved_at"] = ts(day, 12, i % 60)
        rec["resolved_by"] = ref("sys_user", sys_id(f"user:{USERS[(i + 3) % len(USERS)]}"))
        rec["close_notes"] = "Restarted the service and confirmed with the caller."
    if state == "7":
        rec["closed_at"] = ts(min(day + 3, 28), 12, i % 60)
        rec["closed_by"] = ref("sys_user", sys_id("user:itil"))
    if i % 10 == 9:
        # A caller known only by name (sysparm_display_value=all on a user
        # deleted since): the lookup cannot resolve it.
        rec["caller_id"] = {"display_value": "Former Employee", "link": "", "value": ""}
    if i % 10 == 4:
        # Display values beside the codes (sysparm_display_value=all).
        rec["state"] = {"display_value": "In Progress" if state == "2" else "State " + state, "value": state}
        rec["assignment_group"] = {"display_value": GROUPS[i % len(GROUPS)],
                                   "link": rec["assignment_group"]["link"],
                                   "value": rec["assignment_group"]["value"]}
    if i % 10 == 7:
        # A bare user name where a reference is expected (some exports).
        rec["caller_id"] = caller
    return rec


def write(path, value):
    full = os.path.join(ROOT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        json.dump(value, f, indent=2, ensure_ascii=False)
        f.write("\n")


def main():
    write("servicenow/incident.json", {"result": [incident(i) for i in range(50)]})
    write("servicenow/lookup.json", {
        "people": {**{u: "01958f3c-0001-7001-8001-%012d" % (1001 + k) for k, u in enumerate(USERS)},
                   **{sys_id(f"user:{u}"): "01958f3c-0001-7001-8001-%012d" % (1001 + k)
                      for k, u in enumerate(USERS)}},
        "groups": {sys_id(f"group:{g}"): "01958f3c-0002-7001-8001-%012d" % (2001 + k)
                   for k, g in enumerate(GROUPS)},
        "uuid_keys": True,
    })
    classes = [("cmdb_ci_service", "Email"), ("cmdb_ci_appl", "exchange"),
               ("cmdb_ci_db_instance", "exchange-db"), ("cmdb_ci_linux_server", "lnx-db-01"),
               ("cmdb_ci_vmware_instance", "vm-mail-01"), ("cmdb_ci_cluster", "mail-cluster"),
               ("cmdb_ci_win_server", "win-mail-02")]
    cis = []
    for k, (cls, name) in enumerate(classes):
        cis.append({
            "sys_id": sys_id(f"ci:{k}"), "name": name, "sys_class_name": cls,
            "install_status": ["1", "1", "1", "3", "1", "1", "7"][k],
            "operational_status": ["1", "1", "1", "1", "3", "1", "6"][k],
            "ip_address": f"10.0.0.{10 + k}" if "server" in cls or "instance" in cls else "",
            "fqdn": f"{name}.acme.local" if "server" in cls else "",
            "serial_number": f"SN-{9000 + k}" if "server" in cls else "",
            "os_version": "RHEL 9.3" if cls == "cmdb_ci_linux_server" else "",
            "cpu_count": "16" if "server" in cls else "",
            "short_description": f"{name} ({cls})",
            "manufacturer": ref("core_company", sys_id("company:dell")) if "server" in cls else "",
            "support_group": ref("sys_user_group", sys_id("group:Hardware")),
            "sys_updated_on": "2026-02-27 10:00:00",
            "u_cost_centre": "CC-1200",
        })
    write("servicenow/cmdb_ci.json", {"result": cis})
    rel_types = {
        "depends": {"link": f"{INSTANCE}/api/now/table/cmdb_rel_type/1a9cb166f1571100a92eb60da2bce5c5",
                    "value": "1a9cb166f1571100a92eb60da2bce5c5", "display_value": "Depends on::Used by"},
        "runs": {"value": "60bc4e22c0a8010e01f074cbe6bd73c3", "display_value": "Runs on::Runs"},
        "members": {"value": "55c95bf6c0a8010e0118ec7056ebc54d", "display_value": "Members::Member of"},
        "virtualized": "Virtualized by::Virtualizes",
    }
    rels = [
        (0, "depends", 1), (1, "depends", 2), (2, "runs", 3), (5, "members", 4), (5, "members", 6),
        (1, "runs", 5), (4, "virtualized", 3),
    ]
    write("servicenow/cmdb_rel_ci.json", {"result": [
        {"sys_id": sys_id(f"rel:{k}"), "parent": ref("cmdb_ci", sys_id(f"ci:{p}")),
         "child": ref("cmdb_ci", sys_id(f"ci:{c}")), "type": rel_types[t],
         "connection_strength": "always", "sys_updated_on": "2026-02-27 10:00:00"}
        for k, (p, t, c) in enumerate(rels)]})
    write("servicenow/mapping.json", {
        "incident_state": [
            {"code": "1", "value": "new"}, {"code": "2", "value": "in_progress"},
            {"code": "3", "value": "on_hold"}, {"code": "6", "value": "resolved"},
            {"code": "7", "value": "closed"}, {"code": "8", "value": "canceled"},
            {"code": "10", "value": "in_progress", "approximate": True}
        ],
        "contact_type": [
            {"code": "phone", "value": "phone"}, {"code": "email", "value": "email"},
            {"code": "self-service", "value": "self_service"}, {"code": "chat", "value": "chat"},
            {"code": "walk-in", "value": "walk_in"}, {"code": "teams", "value": "chat", "approximate": True}
        ]
    })
    write("jira/search.json", jira_search())
    write("tmf621/trouble_ticket_v4.json", tmf621_v4())
    write("tmf621/trouble_ticket_v5.json", tmf621_v5())
    write("tmf639/resource.json", tmf639())


def jira_user(account, name):
    return {"self": f"https://acme.atlassian.net/rest/api/2/user?accountId={account}",
            "accountId": account, "displayName": name, "active": True, "timeZone": "Europe/London",
            "accountType": "atlassian"}


def jira_issue(n, issuetype, status, resolution, priority, summary, **extra):
    fields = {
        "issuetype": {"self": "https://acme.atlassian.net/rest/api/2/issuetype/10001", "id": "10001",
                      "name": issuetype, "subtask": False},
        "project": {"id": "10000", "key": "ITSM", "name": "IT Service Management"},
        "summary": summary,
        "description": f"{summary}. See the attached logs.",
        "status": {"self": "https://acme.atlassian.net/rest/api/2/status/3", "name": status, "id": "3",
                   "statusCategory": {"id": 4, "key": "indeterminate", "name": "In Progress"}},
        "priority": {"self": "https://acme.atlassian.net/rest/api/2/priority/2", "name": priority, "id": "2"},
        "resolution": ({"self": "https://acme.atlassian.net/rest/api/2/resolution/10000", "id": "10000",
                        "name": resolution} if resolution else None),
        "created": f"2026-03-{n % 27 + 1:02d}T09:15:00.000+0000",
        "updated": f"2026-03-{n % 27 + 1:02d}T16:40:12.345+0000",
        "resolutiondate": (f"2026-03-{n % 27 + 1:02d}T15:00:00.000+0000" if resolution else None),
        "assignee": jira_user("5b10ac8d82e05b22cc7d4ef5", "Beth Anglin") if status != "Open" else None,
        "reporter": jira_user("712020:0e2d3c4b-5a69-4788-9a0b-1c2d3e4f5a6b", "Abel Tuter"),
        "labels": ["vpn"] if n % 2 else [],
        "customfield_10010": {"requestType": {"id": "12", "name": "Report a system problem"}},
        "customfield_10020": None,
    }
    fields.update(extra)
    return {"expand": "operations,editmeta,changelog", "id": str(10000 + n),
            "self": f"https://acme.atlassian.net/rest/api/2/issue/{10000 + n}", "key": f"ITSM-{n}",
            "fields": fields}


def jira_search():
    issues = [
        jira_issue(1, "Incident", "Work in progress", None, "High", "VPN drops every 10 minutes"),
        jira_issue(2, "Incident", "Resolved", "Done", "Highest", "Payroll portal returns HTTP 500"),
        jira_issue(3, "Incident", "Pending", None, "Medium", "Laptop will not boot"),
        jira_issue(4, "Problem", "Under investigation", None, "High", "Recurring VPN drops"),
        jira_issue(5, "Problem", "Completed", "Done", "Medium", "Exchange queue backlog"),
        jira_issue(6, "Change", "Awaiting CAB approval", None, "Medium", "Upgrade VPN concentrator firmware",
                   customfield_10005={"value": "Normal", "id": "10101"}),
        jira_issue(7, "Change", "Completed", "Done", "Low", "Rotate TLS certificates"),
        jira_issue(8, "Service request", "Waiting for support", None, "Medium", "New laptop for starter"),
        jira_issue(9, "Service request with approvals", "Waiting for approval", None, "Low",
                   "Access to the finance share"),
        jira_issue(10, "Incident", "Escalated", None, "Lowest", "Typo on intranet page"),
    ]
    return {"expand": "schema,names", "startAt": 0, "maxResults": 50, "total": len(issues),
            "issues": issues}


def tmf621_v4():
    return {
        "id": "3180", "href": "https://api.acme-telco.example/tmf-api/troubleTicket/v4/troubleTicket/3180",
        "name": "Broadband service down", "description": "No DSL sync since 08:00; modem LED red.",
        "severity": "Major", "priority": "2", "ticketType": "incident", "status": "pending",
        "statusChangeReason": "awaitingCustomer", "statusChangeDate": "2026-03-02T09:40:00Z",
        "creationDate": "2026-03-02T08:05:00Z", "lastUpdate": "2026-03-02T09:40:00Z",
        "expectedResolutionDate": "2026-03-03T08:05:00Z", "externalId": "INC0003180",
        "channel": {"id": "1", "name": "phone"},
        "note": [{"id": "1", "author": "Jane Agent", "date": "2026-03-02T08:10:00Z",
                  "text": "Line test shows no sync."}],
        "relatedEntity": [
            {"id": "0f0e0d0c-0b0a-4909-8807-060504030201", "href": "https://api.acme-telco.example/resource/0f0e0d0c",
             "name": "dslam-lon-07", "role": "affectedResource", "@referredType": "Resource"},
            {"id": "ORDER-88", "name": "order", "role": "originatingOrder", "@referredType": "ProductOrder"}],
        "relatedParty": [
            {"id": "8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d", "name": "Abel Tuter", "role": "reporter",
             "@referredType": "Individual"},
            {"id": "NOC-L2", "name": "NOC level 2", "role": "assignmentGroup", "@referredType": "Organization"}],
        "statusChange": [
            {"status": "acknowledged", "changeDate": "2026-03-02T08:05:00Z", "changeReason": "Created"},
            {"status": "inProgress", "changeDate": "2026-03-02T08:10:00Z"},
            {"status": "pending", "changeDate": "2026-03-02T09:40:00Z", "changeReason": "awaitingCustomer"}],
        "troubleTicketRelationship": [],
        "@type": "TroubleTicket", "@baseType": "TroubleTicket",
    }


def tmf621_v5():
    return {
        "id": "3181", "href": "https://api.acme-telco.example/tmf-api/troubleTicket/v5/troubleTicket/3181",
        "@type": "TroubleTicket", "name": "Mobile data slow in Leeds",
        "description": "Customers report < 1 Mbit/s on 4G since the cell upgrade.",
        "severity": "Critical", "priority": "1", "ticketType": "incident", "status": "inProgress",
        "creationDate": "2026-03-04T07:30:00Z", "lastUpdate": "2026-03-04T08:00:00Z",
        "requestedResolutionDate": "2026-03-04T12:00:00Z",
        "externalIdentifier": [
            {"id": "INC0003181", "owner": "itsm", "externalIdentifierType": "number", "@type": "ExternalIdentifier"},
            {"id": "CRM-4711", "owner": "crm", "externalIdentifierType": "caseNumber", "@type": "ExternalIdentifier"}],
        "channel": {"id": "4", "name": "monitoring", "@type": "ChannelRef"},
        "note": [{"id": "1", "author": "NOC", "date": "2026-03-04T07:35:00Z",
                  "text": "Alarm storm on cell LDS-0412.", "@type": "Note"}],
        "relatedEntity": [
            {"role": "affectedResource", "@type": "RelatedEntity",
             "entity": {"id": "1e2d3c4b-5a69-4788-9a0b-1c2d3e4f5a6b", "name": "enb-lds-0412",
                        "@referredType": "Resource", "@type": "EntityRef"}},
            {"role": "change", "@type": "RelatedEntity",
             "entity": {"id": "2f3e4d5c-6b7a-4899-8a1b-2c3d4e5f6a7b", "@referredType": "ChangeRequest",
                        "@type": "EntityRef"}}],
        "relatedParty": [
            {"role": "reporter", "@type": "RelatedPartyRefOrPartyRoleRef",
             "partyOrPartyRole": {"id": "8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d", "name": "Abel Tuter",
                                  "@referredType": "Individual", "@type": "PartyRef"}},
            {"role": "assignee", "@type": "RelatedPartyRefOrPartyRoleRef",
             "partyOrPartyRole": {"id": "9b8c7d6e-5f4a-4b2c-8d9e-0f1a2b3c4d5e", "name": "Beth Anglin",
                                  "@referredType": "Individual", "@type": "PartyRef"}}],
        "statusChangeHistory": [
            {"status": "acknowledged", "statusChangeDate": "2026-03-04T07:30:00Z", "@type": "StatusChange"},
            {"status": "inProgress", "statusChangeDate": "2026-03-04T07:45:00Z",
             "statusChangeReason": "Assigned to NOC", "@type": "StatusChange"}],
    }


def tmf639():
    return {
        "id": "1e2d3c4b-5a69-4788-9a0b-1c2d3e4f5a6b",
        "href": "https://api.acme-telco.example/tmf-api/resourceInventoryManagement/v4/resource/1e2d3c4b",
        "@type": "LogicalResource", "@baseType": "Resource",
        "name": "enb-lds-0412", "description": "eNodeB serving Leeds city centre",
        "category": "radio", "resourceVersion": "3",
        "resourceSpecification": {"id": "spec-enb", "name": "application", "@referredType": "ResourceSpecification"},
        "operationalState": "enable", "administrativeState": "unlocked", "usageState": "active",
        "resourceStatus": "available",
        "resourceCharacteristic": [
            {"id": "1", "name": "vendor", "valueType": "string", "value": "Ericsson"},
            {"id": "2", "name": "version", "valueType": "string", "value": "22.Q4"},
            {"id": "3", "name": "bands", "valueType": "array", "value": ["B3", "B7", "B20"]}],
        "resourceRelationship": [
            {"relationshipType": "runsOn",
             "resource": {"id": "5c4b3a29-1807-4f6e-9d5c-4b3a29180706", "@referredType": "PhysicalResource"}},
            {"relationshipType": "dependsOn",
             "resource": {"id": "6d5c4b3a-2918-4f07-8e6d-5c4b3a291807"}}],
        "place": [{"id": "site-lds-04", "role": "installationSite"}],
        "note": [{"text": "Upgraded 2026-03-03", "date": "2026-03-03T22:00:00Z"}],
    }


if __name__ == "__main__":
    main()
