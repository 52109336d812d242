//! Calls to the server's session API from the browser. The session cookie authenticates them.
//!
//! On the server these functions are never called (handlers run only after hydration), so their
//! server-side versions just report that.

use serde_json::Value;

/// One line of the terminal's shell, as `POST /api/sessions/{id}/shell` answers it.
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize)]
pub struct ShellOutput {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
}

/// Runs one shell line in the session (what the terminal would run).
pub async fn shell(session: &str, line: &str) -> Result<ShellOutput, String> {
    let value = post_json(
        &format!("/api/sessions/{session}/shell"),
        &serde_json::json!({ "line": line }),
    )
    .await?;
    serde_json::from_value(value).map_err(|e| e.to_string())
}

#[cfg(feature = "hydrate")]
async fn error_of(response: gloo_net::http::Response) -> String {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string))
        .unwrap_or(text);
    format!("{status}: {message}")
}

/// `GET url` as JSON.
pub async fn get_json(url: &str) -> Result<Value, String> {
    #[cfg(feature = "hydrate")]
    {
        let response = gloo_net::http::Request::get(url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.ok() {
            return Err(error_of(response).await);
        }
        response.json().await.map_err(|e| e.to_string())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = url;
        Err("the API is called from the browser only".into())
    }
}

/// `GET url` as text.
pub async fn get_text(url: &str) -> Result<String, String> {
    #[cfg(feature = "hydrate")]
    {
        let response = gloo_net::http::Request::get(url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.ok() {
            return Err(error_of(response).await);
        }
        response.text().await.map_err(|e| e.to_string())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = url;
        Err("the API is called from the browser only".into())
    }
}

/// `POST url` with a JSON body; the JSON answer (or `null` for an empty one).
pub async fn post_json(url: &str, body: &Value) -> Result<Value, String> {
    #[cfg(feature = "hydrate")]
    {
        let response = gloo_net::http::Request::post(url)
            .json(body)
            .map_err(|e| e.to_string())?
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.ok() {
            return Err(error_of(response).await);
        }
        let text = response.text().await.map_err(|e| e.to_string())?;
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| e.to_string())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (url, body);
        Err("the API is called from the browser only".into())
    }
}
