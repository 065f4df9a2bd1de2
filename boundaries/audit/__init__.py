"""Checking another system's table of division codes (一致性校验): each row valid, renamed, retired, …"""
