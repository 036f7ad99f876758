"""What staff read about their uploads, deletions and sign-in, in one place, in Chinese.

The error kinds (``indexer.errors``) become HTTP statuses in ``search_api.errors``; the words a
person sees for the service's own outcomes are here, so they are written, checked and translated
together. (A file's own refusal reasons come from the readers; their caps' words are in
``indexer.ingest.limits.WORDS``.)
"""

from __future__ import annotations

# a write the storage refused, by the status it is answered with
DISK_FULL = "磁盘已满（{where}）；未做任何更改：请释放磁盘空间后重试"
READ_ONLY = "无法写入 {where}（{why}）；未做任何更改"
STORAGE = "索引或上传文件夹"

# upload jobs
INTERNAL = "内部错误；服务器日志中有详情"
CANCELLED = "任务已按请求取消；此文件未编入索引"
SAME_NAME_TWICE = "本次上传中有另一个同名文件（{name}），内容不同；此文件未处理：请改名后再上传"
NAME_TAKEN = "已有同名的另一份文档（doc_id {doc_id}）；未做更改：如要替换，请由管理员以 replace=true 上传，或将文件改名"
STOPPED = "服务器在此任务完成前停止了；请重新上传这些文件"
RECOVERED = "服务器在写入索引后、报告结果前停止了；重启后已按索引核实结果"

# identity
NEEDS_KEY = "需要身份：请在页面上登录，或在请求头 X-API-Key 中提供密钥（missing or wrong X-API-Key header）"
CROSS_SITE = "跨站请求被拒绝：请从本系统的页面操作"
WRONG_KEY = "密钥不正确，请重新输入。"
TOO_MANY_MARKS = "标注过于频繁：每个密钥每小时最多 {limit} 条，请稍后再标"
