"""The two public OpenAPI base URLs (kept dependency-free for a light import)."""

FEISHU = "https://open.feishu.cn"
LARK = "https://open.larksuite.com"
