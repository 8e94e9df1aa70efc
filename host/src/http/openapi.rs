//! `/openapi.json`: the admin and message API as an OpenAPI 3.1 document.

use axum::Json;
use serde_json::{Value, json};

/// (method, path, summary, who may call, request body schema, success status)
type Op = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<Value>,
    u16,
);

fn ops() -> Vec<Op> {
    let tenant_body = json!({"type": "object", "required": ["id", "name"], "additionalProperties": false,
        "properties": {"id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,62}$"},
                       "name": {"type": "string"}, "timezone": {"type": "string", "default": "Asia/Shanghai"}}});
    let version_body = json!({"type": "object", "additionalProperties": false,
        "properties": {"version": {"type": "string"}}});
    let message_body = json!({"type": "object", "required": ["channel", "customer_id", "text"], "additionalProperties": false,
        "properties": {"channel": {"type": "string"}, "customer_id": {"type": "string"}, "text": {"type": "string", "maxLength": 16384},
            "kind": {"enum": ["text", "image", "voice", "video", "location", "link", "event"]},
            "timestamp": {"type": "integer", "description": "unix milliseconds"},
            "customer": {"type": "object", "properties": {"name": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}},
                "segment": {"type": "string"}, "vip": {"type": "boolean"}, "profile": {"type": "object", "additionalProperties": {"type": "string"}}}}}});
    vec![
        ("get", "/healthz", "Liveness", "anyone", None, 200),
        ("get", "/metrics", "Prometheus metrics", "anyone", None, 200),
        (
            "post",
            "/v1/tenants",
            "Create a tenant; returns its first API key (shown once)",
            "operator",
            Some(tenant_body),
            201,
        ),
        (
            "get",
            "/v1/tenants",
            "List tenants (a tenant key sees its own)",
            "operator, tenant",
            None,
            200,
        ),
        (
            "get",
            "/v1/tenants/{tenant}",
            "Get a tenant",
            "operator, tenant",
            None,
            200,
        ),
        (
            "post",
            "/v1/tenants/{tenant}/keys",
            "Issue a new tenant key and revoke the others",
            "operator, tenant",
            None,
            201,
        ),
        (
            "get",
            "/v1/addons",
            "The add-on catalog with prices",
            "operator, tenant",
            None,
            200,
        ),
        (
            "get",
            "/v1/tenants/{tenant}/subscriptions",
            "A tenant's add-on subscriptions",
            "operator, tenant",
            None,
            200,
        ),
        (
            "post",
            "/v1/tenants/{tenant}/subscriptions",
            "Subscribe to an add-on",
            "operator, tenant",
            Some(
                json!({"type": "object", "required": ["addon"], "properties": {"addon": {"type": "string"}}}),
            ),
            201,
        ),
        (
            "delete",
            "/v1/tenants/{tenant}/subscriptions/{addon}",
            "Cancel a subscription (effective on the next message)",
            "operator, tenant",
            None,
            200,
        ),
        (
            "post",
            "/v1/plugins",
            "Install a signed .kpkg (request body: the package bytes)",
            "operator",
            Some(json!({"type": "string", "contentMediaType": "application/octet-stream"})),
            201,
        ),
        (
            "post",
            "/v1/plugins/verify",
            "Check a package as install would, without installing",
            "operator",
            Some(json!({"type": "string", "contentMediaType": "application/octet-stream"})),
            200,
        ),
        (
            "get",
            "/v1/plugins",
            "Installed plugin versions",
            "operator, tenant",
            None,
            200,
        ),
        (
            "delete",
            "/v1/plugins/{plugin}/versions/{version}",
            "Remove a version no tenant uses",
            "operator",
            None,
            204,
        ),
        (
            "get",
            "/v1/tenants/{tenant}/plugins",
            "A tenant's plugins",
            "operator, tenant",
            None,
            200,
        ),
        (
            "post",
            "/v1/tenants/{tenant}/plugins/{plugin}/enable",
            "Enable a plugin (paid add-ons need an active subscription)",
            "operator, tenant",
            Some(version_body.clone()),
            200,
        ),
        (
            "post",
            "/v1/tenants/{tenant}/plugins/{plugin}/disable",
            "Disable a plugin",
            "operator, tenant",
            None,
            200,
        ),
        (
            "put",
            "/v1/tenants/{tenant}/plugins/{plugin}/config",
            "Set the plugin's configuration (validated against its schema)",
            "operator, tenant",
            Some(json!({"type": "object"})),
            200,
        ),
        (
            "post",
            "/v1/tenants/{tenant}/plugins/{plugin}/upgrade",
            "Move to another version (default: newest)",
            "operator, tenant",
            Some(version_body),
            200,
        ),
        (
            "post",
            "/v1/tenants/{tenant}/plugins/{plugin}/rollback",
            "Return to the previous version",
            "operator, tenant",
            None,
            200,
        ),
        (
            "post",
            "/v1/tenants/{tenant}/messages",
            "Run a message through the tenant's pipeline",
            "operator, tenant",
            Some(message_body),
            200,
        ),
        (
            "get",
            "/v1/tenants/{tenant}/messages/{id}",
            "A processed message with every stage's result",
            "operator, tenant",
            None,
            200,
        ),
        (
            "get",
            "/v1/tenants/{tenant}/usage",
            "Daily plugin usage totals (query: from, to as YYYY-MM-DD)",
            "operator, tenant",
            None,
            200,
        ),
        (
            "get",
            "/v1/tenants/{tenant}/plugin-calls",
            "Most recent plugin calls (query: limit)",
            "operator, tenant",
            None,
            200,
        ),
    ]
}

pub async fn openapi() -> Json<Value> {
    let mut paths = serde_json::Map::new();
    for (method, path, summary, who, body, status) in ops() {
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let mut op = json!({
            "summary": summary,
            "description": format!("Who may call: {who}."),
            "parameters": params,
            "responses": {
                status.to_string(): {"description": "success"},
                "4XX": {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            },
        });
        if who != "anyone" {
            op["security"] = json!([{"bearer": []}]);
        }
        if let Some(schema) = body {
            let media = schema
                .get("contentMediaType")
                .and_then(|m| m.as_str())
                .unwrap_or("application/json")
                .to_owned();
            op["requestBody"] =
                json!({"required": true, "content": {media.as_str(): {"schema": schema}}});
        }
        let entry = paths.entry(path.to_owned()).or_insert_with(|| json!({}));
        entry[method] = op;
    }
    Json(json!({
        "openapi": "3.1.0",
        "info": {"title": "Kefu admin and message API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Multi-tenant customer-service platform with sandboxed wasm add-ons."},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                "description": "The operator key (KEFU_OPERATOR_KEY) or a tenant key (kefu_t_...)"}},
            "schemas": {"Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}}},
        },
    }))
}
