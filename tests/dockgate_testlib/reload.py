"""A dockgate whose POLICY_FILE a test rewrites and reloads with SIGHUP."""

import signal

from .net import wait_for


class PolicyFileReload:
    """Mixin for a test's proxy wrapper that has .path (the policy file)
    and .p (the running dockgate)."""

    def write_policy(self, text):
        """Rewrites the file in place (same inode, as Landlock holds it),
        completely, before any signal."""
        with open(self.path, "r+" if self.path.exists() else "w") as f:
            f.seek(0)
            f.truncate()
            f.write(text)

    def reloads(self):
        """The reload lines dockgate logged so far."""
        return [ln for ln in self.p.stderr().splitlines() if " reload: " in ln]

    def reload(self):
        """SIGHUP, then the reload's log line, once it is there."""
        before = len(self.reloads())
        self.p.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: len(self.reloads()) > before, 10, 0.01, "the reload's log line")
        return self.reloads()[before]
