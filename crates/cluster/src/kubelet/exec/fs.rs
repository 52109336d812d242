//! The filesystem a command run by `kubectl exec` sees: the image's own files, files the kubelet
//! writes (`/etc/hosts`, `/etc/resolv.conf`, the service account token), read-only ConfigMap,
//! Secret and downward API volumes, and writable volumes (emptyDir, PersistentVolumeClaim,
//! hostPath) whose files are kept in [`WrittenFiles`].
//!
//! Where written files live decides how long they last, as on a real node: on the container's
//! own layer until the container is replaced, in an emptyDir until the pod goes, and on a
//! PersistentVolume for as long as the volume exists, so a new pod mounting the same claim
//! reads what an earlier pod wrote.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// Files written through exec, by storage (`container/<id>`, `emptyDir/<pod uid>/<volume>`,
/// `pv/<name>`, `hostPath/<node>/<path>`), then by path inside it. `None` marks a directory.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WrittenFiles {
    pub storages: BTreeMap<String, BTreeMap<String, Option<String>>>,
}

/// Why a file operation failed, as the C library words it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsError {
    NotFound,
    IsDirectory,
    NotDirectory,
    ReadOnly,
    Exists,
}

impl FsError {
    pub fn text(self) -> &'static str {
        match self {
            FsError::NotFound => "No such file or directory",
            FsError::IsDirectory => "Is a directory",
            FsError::NotDirectory => "Not a directory",
            FsError::ReadOnly => "Read-only file system",
            FsError::Exists => "File exists",
        }
    }
}

/// One volume mount of the container.
#[derive(Clone, Debug, PartialEq)]
pub struct Mount {
    pub path: String,
    /// The storage key of a writable volume; `None` for a read-only projection (its files are
    /// in [`Fs::fixed`]).
    pub storage: Option<String>,
    pub read_only: bool,
}

/// The container's view of its files.
#[derive(Clone, Debug, PartialEq)]
pub struct Fs {
    /// Files that exec cannot change: the image's, the kubelet's and projected volumes'.
    pub fixed: BTreeMap<String, String>,
    /// Directories that exist in the image.
    pub dirs: BTreeSet<String>,
    pub mounts: Vec<Mount>,
    /// The container's writable layer.
    pub root_storage: String,
}

/// Joins `path` to `cwd` and removes `.`, `..` and repeated slashes.
pub fn absolute(cwd: &str, path: &str) -> String {
    let joined = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{}/{path}", cwd.trim_end_matches('/'))
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

impl Fs {
    /// The mount that holds `path`, with the path inside it.
    fn mount_of(&self, path: &str) -> Option<(&Mount, String)> {
        self.mounts
            .iter()
            .filter(|m| path == m.path || path.starts_with(&format!("{}/", m.path)))
            .max_by_key(|m| m.path.len())
            .map(|m| (m, path[m.path.len()..].to_string()))
    }

    /// Where a written file at `path` is kept: (storage, key inside it).
    fn placement(&self, path: &str) -> Result<(String, String), FsError> {
        match self.mount_of(path) {
            Some((m, _)) if m.storage.is_none() || m.read_only => Err(FsError::ReadOnly),
            Some((m, rel)) => Ok((m.storage.clone().expect("checked"), rel)),
            None => Ok((self.root_storage.clone(), path.to_string())),
        }
    }

    fn written<'a>(&self, w: &'a WrittenFiles, path: &str) -> Option<&'a Option<String>> {
        let (storage, key) = match self.mount_of(path) {
            Some((m, rel)) => (m.storage.clone()?, rel),
            None => (self.root_storage.clone(), path.to_string()),
        };
        w.storages.get(&storage)?.get(&key)
    }

    pub fn is_dir(&self, w: &WrittenFiles, path: &str) -> bool {
        if path == "/" || self.dirs.contains(path) || self.mounts.iter().any(|m| m.path == path) {
            return true;
        }
        if matches!(self.written(w, path), Some(None)) {
            return true;
        }
        let prefix = format!("{path}/");
        self.fixed.keys().any(|k| k.starts_with(&prefix))
            || self.dirs.iter().any(|d| d.starts_with(&prefix))
            || self.mounts.iter().any(|m| m.path.starts_with(&prefix))
            || self
                .written_paths(w)
                .iter()
                .any(|(p, _)| p.starts_with(&prefix))
    }

    /// Every written file and directory visible in this container, by absolute path.
    fn written_paths(&self, w: &WrittenFiles) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        if let Some(files) = w.storages.get(&self.root_storage) {
            for (p, c) in files {
                // Hidden under a mount, as on a real node.
                if self.mount_of(p).is_none() {
                    out.push((p.clone(), c.is_none()));
                }
            }
        }
        for m in &self.mounts {
            let Some(s) = &m.storage else { continue };
            for (rel, c) in w.storages.get(s).into_iter().flatten() {
                out.push((format!("{}{rel}", m.path), c.is_none()));
            }
        }
        out
    }

    pub fn read(&self, w: &WrittenFiles, path: &str) -> Result<String, FsError> {
        if let Some(c) = self.fixed.get(path) {
            return Ok(c.clone());
        }
        match self.written(w, path) {
            Some(Some(c)) => Ok(c.clone()),
            Some(None) => Err(FsError::IsDirectory),
            None if self.is_dir(w, path) => Err(FsError::IsDirectory),
            None => Err(FsError::NotFound),
        }
    }

    pub fn exists(&self, w: &WrittenFiles, path: &str) -> bool {
        self.fixed.contains_key(path) || self.written(w, path).is_some() || self.is_dir(w, path)
    }

    pub fn write(
        &self,
        w: &mut WrittenFiles,
        path: &str,
        content: &str,
        append: bool,
    ) -> Result<(), FsError> {
        if self.is_dir(w, path) {
            return Err(FsError::IsDirectory);
        }
        if !self.is_dir(w, parent(path)) {
            return Err(if self.exists(w, parent(path)) {
                FsError::NotDirectory
            } else {
                FsError::NotFound
            });
        }
        if self.fixed.contains_key(path) {
            return Err(FsError::ReadOnly);
        }
        let (storage, key) = self.placement(path)?;
        let files = w.storages.entry(storage).or_default();
        let old = match files.get(&key) {
            Some(Some(c)) if append => c.clone(),
            _ => String::new(),
        };
        files.insert(key, Some(old + content));
        Ok(())
    }

    pub fn mkdir(&self, w: &mut WrittenFiles, path: &str, parents: bool) -> Result<(), FsError> {
        if self.exists(w, path) {
            return if parents {
                Ok(())
            } else {
                Err(FsError::Exists)
            };
        }
        if !self.is_dir(w, parent(path)) {
            if parents {
                self.mkdir(w, parent(path), true)?;
            } else {
                return Err(FsError::NotFound);
            }
        }
        let (storage, key) = self.placement(path)?;
        w.storages.entry(storage).or_default().insert(key, None);
        Ok(())
    }

    pub fn remove(&self, w: &mut WrittenFiles, path: &str, recursive: bool) -> Result<(), FsError> {
        if self.fixed.contains_key(path) {
            return Err(FsError::ReadOnly);
        }
        if self.is_dir(w, path) && !recursive {
            return Err(FsError::IsDirectory);
        }
        let (storage, key) = self.placement(path)?;
        let files = w.storages.entry(storage).or_default();
        let prefix = format!("{key}/");
        let before = files.len();
        files.retain(|k, _| *k != key && !k.starts_with(&prefix));
        if files.len() == before {
            return Err(FsError::NotFound);
        }
        Ok(())
    }

    /// The entries of a directory: (name, is a directory), sorted by name.
    pub fn list(&self, w: &WrittenFiles, dir: &str) -> Result<Vec<(String, bool)>, FsError> {
        if !self.is_dir(w, dir) {
            return if self.exists(w, dir) {
                Err(FsError::NotDirectory)
            } else {
                Err(FsError::NotFound)
            };
        }
        let prefix = if dir == "/" {
            "/".to_string()
        } else {
            format!("{dir}/")
        };
        let mut names: BTreeMap<String, bool> = BTreeMap::new();
        let mut add = |path: &str, is_dir: bool| {
            if let Some(rest) = path.strip_prefix(&prefix) {
                if rest.is_empty() {
                    return;
                }
                match rest.split_once('/') {
                    Some((first, _)) => {
                        names.insert(first.to_string(), true);
                    }
                    None => {
                        let e = names.entry(rest.to_string()).or_insert(is_dir);
                        *e |= is_dir;
                    }
                }
            }
        };
        for k in self.fixed.keys() {
            add(k, false);
        }
        for d in &self.dirs {
            add(d, true);
        }
        for m in &self.mounts {
            add(&m.path, true);
        }
        for (p, d) in self.written_paths(w) {
            add(&p, d);
        }
        Ok(names.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fs() -> Fs {
        Fs {
            fixed: [("/etc/config/color".to_string(), "blue".to_string())].into(),
            dirs: ["/tmp".to_string(), "/etc".to_string()].into(),
            mounts: vec![
                Mount {
                    path: "/data".into(),
                    storage: Some("pv/pv-1".into()),
                    read_only: false,
                },
                Mount {
                    path: "/etc/config".into(),
                    storage: None,
                    read_only: true,
                },
            ],
            root_storage: "container/abc".into(),
        }
    }

    #[test]
    fn paths_are_normalised_against_the_working_directory() {
        assert_eq!(absolute("/usr/share", "../lib/./x"), "/usr/lib/x");
        assert_eq!(absolute("/", "tmp//a"), "/tmp/a");
        assert_eq!(absolute("/a", ".."), "/");
    }

    #[test]
    fn writes_land_on_the_volume_that_holds_the_path() {
        let fs = fs();
        let mut w = WrittenFiles::default();
        fs.write(&mut w, "/data/x", "hi\n", false).unwrap();
        fs.write(&mut w, "/data/x", "again\n", true).unwrap();
        fs.write(&mut w, "/tmp/y", "t", false).unwrap();
        assert_eq!(w.storages["pv/pv-1"]["/x"], Some("hi\nagain\n".into()));
        assert_eq!(w.storages["container/abc"]["/tmp/y"], Some("t".into()));
        assert_eq!(
            fs.write(&mut w, "/etc/config/color", "red", false),
            Err(FsError::ReadOnly)
        );
        assert_eq!(
            fs.write(&mut w, "/nope/z", "", false),
            Err(FsError::NotFound)
        );
        assert_eq!(fs.read(&w, "/etc/config/color").unwrap(), "blue");
        assert_eq!(fs.read(&w, "/etc"), Err(FsError::IsDirectory));
    }

    #[test]
    fn listings_merge_image_mounts_and_written_files() {
        let fs = fs();
        let mut w = WrittenFiles::default();
        fs.mkdir(&mut w, "/data/sub", false).unwrap();
        fs.write(&mut w, "/data/a.txt", "", false).unwrap();
        assert_eq!(
            fs.list(&w, "/data").unwrap(),
            vec![("a.txt".to_string(), false), ("sub".to_string(), true)]
        );
        assert_eq!(
            fs.list(&w, "/etc").unwrap(),
            vec![("config".to_string(), true)]
        );
        fs.remove(&mut w, "/data/a.txt", false).unwrap();
        assert_eq!(
            fs.remove(&mut w, "/data/a.txt", false),
            Err(FsError::NotFound)
        );
    }
}
